# Windows: one-folder bundle with PyInstaller, then an installer with Inno Setup 6.
# Run from a "Developer PowerShell" with Python 3.11 on PATH and Inno Setup's ISCC.exe installed:
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
if (-not (Test-Path build\pack-venv\Scripts\python.exe)) { python -m venv build\pack-venv }
$py = "build\pack-venv\Scripts\python.exe"
& $py -m pip install -q --upgrade pip
& $py -m pip install -q -e ".[packaging]"
& $py packaging\render_icons.py ico packaging\windows\backupdesk.ico
& $py -m PyInstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\backupdesk.spec
& dist\backupdesk\backupdesk.exe --version
$version = (& $py -c "import core; print(core.__version__)").Trim()
& ISCC.exe "/DAppVersion=$version" packaging\windows\backupdesk.iss
Write-Host "installer: dist\backupdesk-$version-setup.exe"

; Inno Setup 6 script: installs dist\backupdesk (the PyInstaller one-folder bundle).
; Built by packaging\windows\build.ps1, which passes /DAppVersion=X.Y.Z.
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{6F0B6C1E-3B1F-4C55-9E0A-5D2B8C7A4E10}
AppName=Backup Desk
AppVersion={#AppVersion}
AppPublisher=Backup Desk developers
DefaultDirName={autopf}\Backup Desk
DefaultGroupName=Backup Desk
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=backupdesk-{#AppVersion}-setup
SetupIconFile=backupdesk.ico
UninstallDisplayIcon={app}\backupdesk.exe
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
WizardStyle=modern

[Files]
Source: "..\..\dist\backupdesk\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Backup Desk"; Filename: "{app}\backupdesk.exe"
Name: "{autodesktop}\Backup Desk"; Filename: "{app}\backupdesk.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\backupdesk.exe"; Description: "Start Backup Desk"; Flags: nowait postinstall skipifsilent

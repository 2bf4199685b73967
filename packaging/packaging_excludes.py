"""What the bundle leaves out (read by backupdesk.spec)."""

# Python modules nothing in Backup Desk imports at run time.
EXCLUDED_MODULES = [
    "tkinter", "_tkinter", "unittest", "pydoc_data", "lib2to3", "idlelib", "ensurepip",
    "test", "distutils", "setuptools", "pip", "IPython", "numpy", "PIL",
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtQuickControls2",
    "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtPdf", "PySide6.QtPdfWidgets",
    "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtXml", "PySide6.QtDBus",
    "PySide6.QtConcurrent", "PySide6.QtPrintSupport", "PySide6.QtHelp",
    "PySide6.QtDesigner", "PySide6.QtUiTools", "PySide6.QtNetworkAuth",
    "PySide6.QtSvgWidgets", "PySide6.QtStateMachine", "PySide6.QtMultimedia",
]

# Qt libraries, plugins and data that the modules above would drag in (matched on the
# destination path inside the bundle).
EXCLUDED_QT_FILES = [
    "Qt6Qml", "Qt6Quick", "Qt6Pdf", "Qt6VirtualKeyboard", "Qt6OpenGL.", "Qt6OpenGLWidgets",
    "libQt6Qml", "libQt6Quick", "libQt6Pdf", "libQt6VirtualKeyboard", "libQt6OpenGL.",
    "libQt6OpenGLWidgets", "libQt6Designer", "libQt6Sql", "libQt6Test",
    "/qml/", "/translations/", "plugins/platforminputcontexts", "plugins/generic",
    "plugins/imageformats/libqpdf", "plugins/imageformats/libqwebp",
    "plugins/imageformats/libqtiff", "plugins/imageformats/libqicns",
    "plugins/imageformats/libqtga", "plugins/imageformats/libqwbmp",
    "plugins/platforms/libqvnc", "plugins/platforms/libqlinuxfb",
    "plugins/platforms/libqminimal", "plugins/platforms/libqvkkhrdisplay",
    "plugins/egldeviceintegrations", "plugins/networkinformation", "plugins/tls/libqcertonly",
    "plugins/sqldrivers", "plugins/qmltooling", "plugins/position",
    # GTK3 theme (drags in GTK, cairo, pango) and EGLFS (embedded devices): not for desktops.
    "plugins/platformthemes/libqgtk3", "plugins/platforms/libqeglfs", "Qt6EglFS",
    "Qt6EglFsKms", "libgtk-3", "libgdk-3", "libgdk_pixbuf", "libatk-", "libcairo",
    "libpango", "libharfbuzz", "libpixman", "libfribidi", "libdatrie", "libthai",
    "libgraphite2", "libepoxy",
    # OpenGL surfaces on Wayland (they need QtOpenGL); widgets paint through shared memory.
    "plugins/wayland-graphics-integration-client",
]

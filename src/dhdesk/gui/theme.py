"""The window's look (見た目): one style sheet for the sidebar, page headings and big buttons."""

from __future__ import annotations

STYLE_SHEET = """
QListWidget#sidebar {
    background: #24476b;
    color: #ffffff;
    border: none;
    padding-top: 12px;
    outline: 0;
}
QListWidget#sidebar::item {
    padding: 10px 18px;
    border-left: 4px solid transparent;
}
QListWidget#sidebar::item:selected {
    background: #ffffff;
    color: #24476b;
    border-left: 4px solid #f0a030;
    font-weight: bold;
}
QListWidget#sidebar::item:hover:!selected {
    background: #33608f;
}
QLabel#pageHeading {
    font-size: 18pt;
    font-weight: bold;
    color: #24476b;
    padding-bottom: 4px;
}
QLabel#pageIntro {
    color: #444444;
    padding-bottom: 8px;
}
QGroupBox {
    background: #f8fafc;
    border: 1px solid #c9d3de;
    border-radius: 6px;
    margin-top: 14px;
    padding: 10px 8px 8px 8px;
}
QGroupBox::title {
    subcontrol-origin: margin;
    subcontrol-position: top left;
    left: 10px;
    padding: 0 4px;
    color: #24476b;
}
QPushButton[big="true"] {
    font-size: 13pt;
    padding: 14px 22px;
    min-width: 180px;
}
QLabel[role="ok"] { color: #1b6e20; }
QLabel[role="missing"] { color: #9a5b00; }
QLabel[role="error"] { color: #b00020; }
"""

#!/usr/bin/env bash
# dhdesk developer entry point: sets everything up, then starts the app or runs the tests.
#   ./dev.sh app    set up, build the demo workspace (first time), open the app on it
#   ./dev.sh test   set up (incl. the system libraries Qt needs), run the whole test suite
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
venv="$here/.venv"
python="${PYTHON:-python3}"

# System packages Qt (offscreen and on screen), the PDF checks and the PyInstaller build need.
apt_packages=(
    libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
    libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
    libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libx11-xcb1 poppler-utils binutils
)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "root 権限がないため次のパッケージを入れられません: $*" >&2; return 1; fi
}

ensure_system_packages() {
    command -v dpkg-query >/dev/null || return 0
    local missing=() pkg
    for pkg in "${apt_packages[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "== installing system packages: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

ensure_venv() {
    if [ ! -x "$venv/bin/python" ]; then
        echo "== creating $venv"
        if ! "$python" -m venv "$venv" 2>/dev/null; then
            rm -rf "$venv"
            ensure_system_packages python3-venv
            "$python" -m venv "$venv"
        fi
    fi
    local stamp="$venv/.dhdesk-installed" want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "== installing dhdesk and its dependencies"
        "$venv/bin/python" -m pip install -q --upgrade pip
        "$venv/bin/python" -m pip install -q -e ".[test,build]"
        echo "$want" >"$stamp"
    fi
}

case "${1:-}" in
    app)
        ensure_system_packages
        ensure_venv
        demo_dir="${DHDESK_DEMO_DIR:-$here/demo-out}"
        if [ ! -f "$demo_dir/demo.dhdesk" ]; then
            "$venv/bin/dhdesk" demo -o "$demo_dir"
        fi
        exec "$venv/bin/dhdesk" open "$demo_dir/demo.dhdesk"
        ;;
    test)
        ensure_system_packages
        ensure_venv
        "$venv/bin/lint-imports"
        exec "$venv/bin/python" -m pytest "${@:2}"
        ;;
    *)
        echo "usage: ./dev.sh app | ./dev.sh test [pytest args]" >&2
        exit 2
        ;;
esac

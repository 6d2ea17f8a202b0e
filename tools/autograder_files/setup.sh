#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu 22.04).
# 1. Python 3.11 or newer (apt if missing), a virtual environment in source/venv, the CPU wheels
#    of the pinned torch and torchvision, then the rest of requirements.txt.
# 2. The data from inside the zip (source/data/) into the release's folder that source/data/FOLDER
#    names, each file checked against its SHA-256 (SHA256SUMS, written from assignment.toml): a
#    wrong file stops the build here.
# 3. The test ids shipped in the zip are collected again with what was installed: they must agree.
# AUTOGRADER_ROOT (default /autograder) moves everything; AUTOGRADER_SKIP_INSTALL=1 skips 1 and 3
# (for a stand-in root on a machine that has the packages already).
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
RAW="$SOURCE/release/$(cat "$SOURCE/data/FOLDER" 2>/dev/null || true)"
TORCH_INDEX="https://download.pytorch.org/whl/cpu"

fail() { echo "setup.sh: ERROR: $*" >&2; exit 1; }

install_python() {
    local python=""
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            python="$candidate"
            break
        fi
    done
    if [ -z "$python" ]; then  # Ubuntu 22.04's python3 is 3.10: its universe has 3.11
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3.11 python3.11-venv
        python=python3.11
    fi
    echo "setup.sh: $("$python" --version) at $(command -v "$python")"
    if ! "$python" -m venv "$SOURCE/venv"; then  # Debian and Ubuntu ship venv and pip apart
        rm -rf "$SOURCE/venv"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$(basename "$python")-venv" || \
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv python3-pip
        "$python" -m venv "$SOURCE/venv"
    fi
    local pip=("$SOURCE/venv/bin/python" -m pip install --no-cache-dir --disable-pip-version-check -q)
    "${pip[@]}" --upgrade pip
    "${pip[@]}" --index-url "$TORCH_INDEX" \
        "$(grep -E '^torch==' "$SOURCE/release/requirements.txt")" \
        "$(grep -E '^torchvision==' "$SOURCE/release/requirements.txt")"
    grep -vE '^(torch|torchvision)==' "$SOURCE/release/requirements.txt" > "$SOURCE/requirements-rest.txt"
    "${pip[@]}" -r "$SOURCE/requirements-rest.txt"
    # The checks run as another user, who must be able to run this Python (nothing here is secret).
    chmod -R a+rX "$SOURCE/venv"
    chmod a+rx "$ROOT" "$SOURCE"
}

place_data() {
    [ -f "$SOURCE/data/SHA256SUMS" ] || fail "source/data/SHA256SUMS is missing from the zip (build it again)"
    [ -s "$SOURCE/data/SHA256SUMS" ] || return 0  # an assignment without data
    mkdir -p "$RAW"
    local name sum
    while read -r sum name; do
        [ -f "$SOURCE/data/$name" ] || fail "data file $name is missing from the zip (source/data/)"
        cp "$SOURCE/data/$name" "$RAW/.$name.part"
        if ! echo "$sum  $RAW/.$name.part" | sha256sum --check --status; then
            rm -f "$RAW/.$name.part"
            fail "data file $name does not match its SHA-256 $sum (the zip is damaged: build it again)"
        fi
        chmod 0444 "$RAW/.$name.part"
        mv -f "$RAW/.$name.part" "$RAW/$name"
        echo "setup.sh: $name verified"
    done < "$SOURCE/data/SHA256SUMS"
}

check_python_and_ids() {
    local python="$SOURCE/venv/bin/python"
    if command -v setpriv >/dev/null && ! setpriv --reuid 65534 --regid 65534 --clear-groups \
            "$python" -c 'import torch' >/dev/null 2>&1; then
        echo "setup.sh: WARNING: uid 65534 cannot run $python: the checks will run as root" >&2
    fi
    "$python" "$SOURCE/grader/tools/autograder.py" check-ids --root "$ROOT" \
        || fail "the test ids in the zip differ from those collected here (see above)"
}

if [ "${AUTOGRADER_SKIP_INSTALL:-0}" != 1 ]; then
    install_python
fi
place_data
if [ "${AUTOGRADER_SKIP_INSTALL:-0}" != 1 ]; then
    check_python_and_ids
fi
echo "setup.sh: done"

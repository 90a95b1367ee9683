# Sourced by the .ci/provision-*.sh scripts that install Debian packages (not run by .ci/run itself).
# `as_root` runs a command as root: directly when root, else through passwordless sudo; `install_debian WHO
# PACKAGE…` installs the packages that are not installed yet (WHO names the caller in messages).

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        echo "$0: needs root (or passwordless sudo) to run: $*" >&2
        exit 1
    fi
}

install_debian() {
    local who=$1 p missing=()
    shift
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        echo "$who: $* installed"
        return 0
    fi
    command -v apt-get >/dev/null || { echo "$who: no apt-get; install ${missing[*]} by hand" >&2; exit 1; }
    echo "$who: installing ${missing[*]}"
    # The package lists may be missing (fresh container) or stale: update once, then install.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

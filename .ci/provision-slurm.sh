#!/usr/bin/env bash
# Provisions the `slurm` test suite (tests/slurm/run.sh): Debian's Slurm (slurmctld, slurmd, sbatch, …) and
# munge, plus a munge key. Idempotent and quick when already provisioned; needs root (or passwordless sudo)
# and apt. Starts no daemon: the suite starts and stops its own one-node cluster.
set -euo pipefail

packages=(slurm-wlm munge)
as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        as_root=(sudo -n)
    else
        echo "provision-slurm: needs root (or passwordless sudo) to install ${packages[*]}" >&2
        exit 1
    fi
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    command -v apt-get >/dev/null || { echo "provision-slurm: no apt-get; install ${missing[*]} by hand" >&2; exit 1; }
    echo "provision-slurm: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # The package lists may be missing (fresh container) or stale: update once, then install.
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# munge refuses to start without a key; Debian's package creates one, but not in every image.
key=/etc/munge/munge.key
if ! "${as_root[@]}" test -s "$key"; then
    echo "provision-slurm: creating $key"
    "${as_root[@]}" mkdir -p /etc/munge
    if command -v mungekey >/dev/null; then
        "${as_root[@]}" mungekey --create --keyfile="$key"
    else
        "${as_root[@]}" dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
    fi
    "${as_root[@]}" chown munge:munge "$key" 2>/dev/null || true
    "${as_root[@]}" chmod 0400 "$key"
fi
echo "provision-slurm: slurm-wlm $(dpkg-query -W -f='${Version}' slurm-wlm), munge $(dpkg-query -W -f='${Version}' munge), key $key"

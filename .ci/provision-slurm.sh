#!/usr/bin/env bash
# Provisions the `slurm` test suite (tests/slurm/run.sh): Debian's Slurm (slurmctld, slurmd, sbatch, …) and
# munge, plus a munge key. Idempotent and quick when already provisioned; needs root (or passwordless sudo)
# and apt. Starts no daemon: the suite starts and stops its own one-node cluster.
set -euo pipefail

source "$(dirname "$0")/debian.sh"
install_debian provision-slurm slurm-wlm munge

# munge refuses to start without a key; Debian's package creates one, but not in every image.
key=/etc/munge/munge.key
if ! as_root test -s "$key"; then
    echo "provision-slurm: creating $key"
    as_root mkdir -p /etc/munge
    if command -v mungekey >/dev/null; then
        as_root mungekey --create --keyfile="$key"
    else
        as_root dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
    fi
    as_root chown munge:munge "$key" 2>/dev/null || true
    as_root chmod 0400 "$key"
fi
echo "provision-slurm: slurm-wlm $(dpkg-query -W -f='${Version}' slurm-wlm), munge $(dpkg-query -W -f='${Version}' munge), key $key"

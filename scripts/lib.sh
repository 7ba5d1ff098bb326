# Shared by the scripts/setup_*.sh scripts: `source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`.
#
# The exit-code convention of every setup script: 0 = ready, 3 = unavailable on this machine
# (callers treat it as "skip", or fail under CI=true), anything else = a real error.

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Say why the tool cannot be set up here and exit 3.
unavailable() {
  echo "$1"
  exit 3
}

# Print "$1" as an absolute path: a relative one is taken from the repo root.
from_repo_root() {
  case "$1" in
    /*) echo "$1" ;;
    *) echo "$repo_root/$1" ;;
  esac
}

# Install Debian package "$2" for tool "$1" and check that command "$3" is then on PATH.
# Exits 3 when it cannot be installed here (not root, or no apt-get).
apt_install() {
  local tool="$1" package="$2" command="$3"
  if [[ "$(id -u)" -ne 0 ]]; then
    unavailable "$tool unavailable: not on PATH and not root (install it with: sudo apt-get install -y $package)."
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    unavailable "$tool unavailable: not on PATH and no apt-get on this machine."
  fi
  echo "Installing Debian's $package (a minute or two)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "$package" >/dev/null
  if ! command -v "$command" >/dev/null 2>&1; then
    echo "$package install finished but $command is not on PATH" >&2
    exit 1
  fi
}

#!/usr/bin/env bash
# Installs what the course needs besides the .NET 10 SDK on Debian/Ubuntu (run as root or with sudo).
# NuGet packages (TorchSharp, Roslyn, Plotly.NET, xUnit) are restored by `dotnet` itself.
# Other systems: see environment/README.md.
set -euo pipefail
packages=(
  python3-nbformat      # validates the notebooks the engine writes (tests)
  python3-nbclient      # drives notebooks through Jupyter (tests)
  python3-nbconvert
  python3-jupyter-client  # drives the course's Jupyter kernel (tests)
  python3-zmq             # raw ZeroMQ messages to the kernel (signature tests)
  chromium                # headless browser for the export/Jupyter rendering tests (no browser download)
  jupyter-notebook        # Jupyter Notebook 6 for the untrusted-chapter browser test
  bubblewrap              # `course grade --isolate` sandboxes each submission (no network, read-only repository)
)
# npm (with Node.js) installs KaTeX for `course export` (environment/package.json); Debian's package only when no npm
# is installed yet (a Node.js from elsewhere brings its own npm, and Debian's would conflict with it).
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v dotnet >/dev/null; then
  echo "The .NET 10 SDK is missing: install it (https://dotnet.microsoft.com/download) and run this again." >&2
  exit 1
fi
# KaTeX for `course export` (math rendered offline), pinned by environment/package-lock.json.
install_npm_assets() {
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  # Already installed at the locked version: nothing to do (npm ci would delete and reinstall node_modules).
  if command -v node >/dev/null && [ -f "$here/node_modules/katex/package.json" ] && node -e '
    const lock = require(process.argv[1] + "/package-lock.json").packages["node_modules/katex"].version;
    process.exit(require(process.argv[1] + "/node_modules/katex/package.json").version === lock ? 0 : 1);' "$here"; then
    return 0
  fi
  if command -v npm >/dev/null; then
    echo "environment/setup.sh: npm ci (KaTeX for course export)"
    npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >/dev/null
  else
    echo "environment/setup.sh: npm is missing; course export needs it for KaTeX (npm ci --prefix environment)" >&2
  fi
}
if [ ${#missing[@]} -eq 0 ]; then
  echo "environment/setup.sh: all Debian packages present."
  install_npm_assets
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "environment/setup.sh: not a Debian/Ubuntu system; install the equivalents of: ${missing[*]}" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "environment/setup.sh: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
install_npm_assets

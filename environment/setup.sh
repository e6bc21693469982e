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
  bubblewrap              # `course grade --isolate` sandboxes each submission (no network, read-only repository)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v dotnet >/dev/null; then
  echo "The .NET 10 SDK is missing: install it (https://dotnet.microsoft.com/download) and run this again." >&2
  exit 1
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "environment/setup.sh: all Debian packages present."
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

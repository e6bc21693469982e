#!/usr/bin/env bash
# Applies the TorchSharp native fix (see environment/README.md, "TorchSharp on older Linux") to the
# libLibTorchSharp.so files below a folder. The course's own build does this automatically for its
# output folders; run this only when another tool loads TorchSharp from elsewhere (default: NuGet cache).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
folder="${1:-${NUGET_PACKAGES:-$HOME/.nuget/packages}/torchsharp}"
exec dotnet msbuild "$here/native/FixFolder.proj" -t:Fix -p:Folder="$folder" -nologo -v:m

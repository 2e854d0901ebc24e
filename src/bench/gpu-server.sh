#!/usr/bin/env bash
# Runs `npm run bench -- --runtime node` on a headless GPU server that has no Node, no Chrome and no
# network, from a folder prepared on a build machine (README.md, "Benchmarks on a GPU server"):
#   $SP_DEVICE_DIR/node.xz            xz-compressed Node binary (xz -c "$(command -v node)")
#   $SP_DEVICE_DIR/webgpu/            the `webgpu` package: index.js, package.json, dist/linux-x64/dawn.node
#   $SP_DEVICE_DIR/gl/*.deb           glvnd EGL/GLES + Vulkan loader packages (apt-get download ...)
#   $SP_DEVICE_DIR/bench/host.js      `npm run bench:bundle`
# Arguments are passed to the bench CLI, e.g. --suite kernels --out results.json
set -euo pipefail
D=$(cd "${SP_DEVICE_DIR:-.device}" && pwd)
NODE=/tmp/sp-node
[ -x "$NODE" ] || { xz -dc "$D/node.xz" > "$NODE"; chmod +x "$NODE"; }
if [ -d "$D/gl" ] && [ "$(id -u)" = 0 ]; then
  # The loaders, where the server lacks them (Dawn dlopens libvulkan.so.1, libEGL.so and libGLESv2.so).
  for f in "$D"/gl/*.deb; do dpkg -x "$f" /; done
  for l in libEGL.so:libEGL.so.1 libGLESv2.so:libGLESv2.so.2; do
    dir=/usr/lib/x86_64-linux-gnu; [ -e "$dir/${l%%:*}" ] || ln -s "${l#*:}" "$dir/${l%%:*}"
  done
  ldconfig
fi
for v in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do [ -e "$v" ] && export VK_DRIVER_FILES="$v"; done
for e in /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json; do [ -e "$e" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$e"; done
export SP_BENCH_HOST_BUNDLE="$D/bench/host.js" SP_WEBGPU_MODULE="$D/webgpu/index.js"
exec "$NODE" "$(dirname "$0")/cli.mjs" --runtime node --adapter hardware "$@"

#!/usr/bin/env bash
# Installs the optional system libraries ClinFuse uses when they are present, where this machine
# allows it (root and apt-get); otherwise says what is missing and carries on. Never fails the build.
#   libturbojpeg0 — SIMD libjpeg-turbo for full-size X-rays (about 2.5x faster decoding than the
#                   decoders bundled with libvips and SkiaSharp; the same pixels). Without it the
#                   bundled libvips decoder is used.
set -uo pipefail

have() { /sbin/ldconfig -p 2>/dev/null | grep -q "$1"; }

if have libturbojpeg.so.0 || [ -n "${CLINFUSE_NO_TURBOJPEG:-}" ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "clinfuse: installing libturbojpeg0 (fast JPEG decoding) with apt-get ..." >&2
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libturbojpeg0 >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libturbojpeg0 >/dev/null 2>&1
  fi
fi
have libturbojpeg.so.0 || echo "clinfuse: libturbojpeg0 is not installed (apt-get install libturbojpeg0); full-size JPEGs decode with the slower bundled decoder." >&2
exit 0

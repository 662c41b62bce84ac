#!/usr/bin/env bash
# Installs the optional system packages ClinFuse uses when they are present, where this machine
# allows it (root and apt-get); otherwise says what is missing and carries on. Never fails the build.
#   libturbojpeg0 — SIMD libjpeg-turbo for full-size X-rays (about 2.5x faster decoding than the
#                   decoders bundled with libvips and SkiaSharp; the same pixels). Without it the
#                   bundled libvips decoder is used.
#   libtcmalloc-minimal4 — the allocator ./clinfuse preloads in place of glibc's malloc (lower peak
#                   memory and faster tensor allocations in training; the same results). Without it
#                   glibc's malloc is used.
#   chromium      — with --tests (./test.sh): the browser the page test of `clinfuse serve` drives
#                   (tests/ClinFuse.Serving.Tests); without it that test fails and says how to
#                   install it. Not needed to run ClinFuse.
set -uo pipefail

have_library() { /sbin/ldconfig -p 2>/dev/null | grep -q "$1"; }
have_chromium() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }

updated=
apt_install() { # package: install with apt-get (once more after `apt-get update` if that fails)
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 || return 0
  echo "clinfuse: installing $1 with apt-get ..." >&2
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 && [ -z "$updated" ]; then
    apt-get update -qq >/dev/null 2>&1
    updated=1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1
  fi
}

if ! have_library libturbojpeg.so.0 && [ -z "${CLINFUSE_NO_TURBOJPEG:-}" ]; then
  apt_install libturbojpeg0
  have_library libturbojpeg.so.0 || echo "clinfuse: libturbojpeg0 is not installed (apt-get install libturbojpeg0); full-size JPEGs decode with the slower bundled decoder." >&2
fi

if ! have_library libtcmalloc_minimal.so.4 && [ "${CLINFUSE_ALLOCATOR:-}" != glibc ]; then
  apt_install libtcmalloc-minimal4
  have_library libtcmalloc_minimal.so.4 || echo "clinfuse: libtcmalloc-minimal4 is not installed (apt-get install libtcmalloc-minimal4); glibc's malloc is used (more memory in training)." >&2
fi

if [ "${1:-}" = "--tests" ] && ! have_chromium; then
  apt_install chromium
  have_chromium || echo "clinfuse: chromium is not installed (apt-get install chromium); the browser test of the serve page will fail." >&2
fi
exit 0

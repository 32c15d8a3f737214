#!/usr/bin/env bash
# Fetches real photographs for the image-visualization demo into a cache and prints that
# directory. Idempotent: a second run only prints the path. Sources and licences: data/PHOTOS.md.
# Cache: $DECONV_PHOTO_CACHE, default ~/.cache/deconv-spark/photos/demo.
#
# Everything comes from two Debian packages (apt-get download + dpkg-deb, nothing installed):
#   python3-skimage  15 photographs from skimage/data whose licence _fetchers.py states as CC0 /
#                    public domain / no known copyright restrictions, and lfw_subset.npy
#                    (Labeled Faces in the Wild subset, 200 x 25x25 float64 in 0..1) written as
#                    8-bit grayscale PNGs lfw-000.png .. lfw-199.png: 000-099 are faces,
#                    100-199 non-faces (background crops). Plain python3, no numpy needed.
#   darknet          the 7 example photos of /usr/share/darknet/data (GPL-3.0+ or MIT or WTFPL).
# The packages' copyright files are kept beside them as <package>.copyright.
# The marker file beside the folder is moved in last, so a cache that has it is complete.
set -euo pipefail
CACHE="${DECONV_PHOTO_CACHE:-$HOME/.cache/deconv-spark/photos/demo}"
MARK="${CACHE%/}.complete-v1"   # beside the folder (not in the input the demo lists); bump the suffix when the lists change
SK_DIR=./usr/lib/python3/dist-packages/skimage/data
SK_FILES=(astronaut.png brick.png camera.png chelsea.png clock_motion.png coffee.png coins.png
  grass.png gravel.png hubble_deep_field.jpg ihc.png microaneurysms.png retina.jpg rocket.jpg text.png)
DN_DIR=./usr/share/darknet/data
DN_FILES=(dog.jpg eagle.jpg giraffe.jpg horses.jpg kite.jpg person.jpg scream.jpg)

if [[ -f "$MARK" ]]; then
  echo "$CACHE"
  exit 0
fi
for c in apt-get dpkg-deb python3; do
  command -v "$c" >/dev/null || { echo "fetch-photos.sh: $c is needed" >&2; exit 1; }
done
mkdir -p "$CACHE"
TMP="$(mktemp -d "$CACHE/.fetch.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
# A fresh machine has no package lists yet: update once and retry.
( cd "$TMP" && apt-get download python3-skimage darknet >/dev/null 2>&1 ) \
  || { apt-get update -qq >/dev/null 2>&1; ( cd "$TMP" && apt-get download python3-skimage darknet >/dev/null 2>&1 ); } || {
  echo "fetch-photos.sh: 'apt-get download python3-skimage darknet' failed, also after apt-get update" >&2; exit 1; }
SK_DEB="$(ls "$TMP"/python3-skimage_*.deb)"
DN_DEB="$(ls "$TMP"/darknet_*.deb)"

mkdir "$TMP/x" "$TMP/out"
dpkg-deb --fsys-tarfile "$SK_DEB" | tar -x -C "$TMP/x" \
  ./usr/share/doc/python3-skimage/copyright "$SK_DIR/lfw_subset.npy" "${SK_FILES[@]/#/$SK_DIR/}"
dpkg-deb --fsys-tarfile "$DN_DEB" | tar -x -C "$TMP/x" \
  ./usr/share/doc/darknet/copyright "${DN_FILES[@]/#/$DN_DIR/}"

# lfw_subset.npy -> lfw-NNN.png. .npy = magic, version, header length, a Python-literal dict
# header, then the raw C-order array; PNGs are written with struct + zlib (stdlib only).
python3 - "$TMP/x/$SK_DIR/lfw_subset.npy" "$TMP/out" <<'PY'
import array, ast, os, struct, sys, zlib
src, out = sys.argv[1], sys.argv[2]
with open(src, "rb") as f:
    raw = f.read()
if raw[:6] != b"\x93NUMPY":
    sys.exit("fetch-photos.sh: %s is not a .npy file" % src)
if raw[6] == 1:
    hlen, off = struct.unpack("<H", raw[8:10])[0], 10
else:
    hlen, off = struct.unpack("<I", raw[8:12])[0], 12
hdr = ast.literal_eval(raw[off:off + hlen].decode("latin1"))
codes = {"<f8": "d", "<f4": "f", "|u1": "B"}
if hdr["descr"] not in codes or hdr["fortran_order"] or len(hdr["shape"]) != 3:
    sys.exit("fetch-photos.sh: unexpected .npy header %r" % (hdr,))
n, h, w = hdr["shape"]
vals = array.array(codes[hdr["descr"]])
vals.frombytes(raw[off + hlen:off + hlen + n * h * w * vals.itemsize])
if sys.byteorder == "big" and vals.itemsize > 1:
    vals.byteswap()
if len(vals) != n * h * w:
    sys.exit("fetch-photos.sh: %s is truncated" % src)
lo, hi = min(vals), max(vals)
if hdr["descr"] == "|u1" or (lo >= 0 and hi <= 1):   # skimage's float images are in 0..1
    lo, hi = (0, 255) if hdr["descr"] == "|u1" else (0.0, 1.0)
scale = 255.0 / (hi - lo) if hi > lo else 0.0

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

for i in range(n):
    px = vals[i * h * w:(i + 1) * h * w]
    rows = b"".join(b"\x00" + bytes(min(255, max(0, round((v - lo) * scale))) for v in px[r * w:(r + 1) * w])
                    for r in range(h))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
    with open(os.path.join(out, "lfw-%03d.png" % i), "wb") as f:
        f.write(png)
PY

for f in "${SK_FILES[@]}"; do mv "$TMP/x/$SK_DIR/$f" "$TMP/out/$f"; done
for f in "${DN_FILES[@]}"; do mv "$TMP/x/$DN_DIR/$f" "$TMP/out/$f"; done
mv "$TMP/x/usr/share/doc/python3-skimage/copyright" "$TMP/out/python3-skimage.copyright"
mv "$TMP/x/usr/share/doc/darknet/copyright" "$TMP/out/darknet.copyright"
# move into place, then the marker, so a cache with the marker has every file complete
mv -f "$TMP"/out/* "$CACHE"/
{ basename "$SK_DEB"; basename "$DN_DEB"; } > "$TMP/mark"
rm -f "$CACHE/.complete-v1"   # the marker's old place: inside, where the job would list it
mv "$TMP/mark" "$MARK"
echo "$CACHE"

#!/usr/bin/env bash
# Vendor the browser libraries served from src/ptce/web/static/vendor/.
#
# Installs pinned versions from the npm registry into a throw-away directory
# and copies only the prebuilt browser files (plus licence files) into
# src/ptce/web/static/vendor/<lib>/. Nothing is fetched at page-load time,
# so the pages work fully offline. Files are copied byte-for-byte from the
# npm tarballs; nothing is rebuilt or patched.
#
# Usage:
#   scripts/vendor_frontend.sh           # (re)write the vendored files
#   scripts/vendor_frontend.sh --check   # vendor into a scratch dir and diff
#                                        # against the committed files
#
# Needs: bash, node + npm, sha256sum, diff. See vendor/README.md for what each
# file is and which runtime options keep the libraries from going online.
set -euo pipefail

# ---- pinned versions (update here, re-run, review the diff) -----------------
YASGUI_VERSION="4.6.2"      # @zazuko/yasgui
LEAFLET_VERSION="1.9.4"     # leaflet
SIGMA_VERSION="3.0.3"       # sigma (latest 3.x; ships dist/sigma.min.js UMD)
GRAPHOLOGY_VERSION="0.26.0" # graphology

MANAGED_DIRS=(yasgui leaflet sigma graphology)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor_dir="$repo_root/src/ptce/web/static/vendor"

mode="write"
case "${1:-}" in
  "") ;;
  --check) mode="check" ;;
  -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
  *) echo "unknown argument: $1" >&2; exit 2 ;;
esac

for tool in node npm sha256sum diff; do
  command -v "$tool" >/dev/null 2>&1 || { echo "error: '$tool' not found" >&2; exit 1; }
done

work="$(mktemp -d -t ptce-vendor.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# ---- install ------------------------------------------------------------------
echo ">> installing pinned packages with npm into a scratch directory"
mkdir -p "$work/npm"
printf '{ "name": "ptce-vendor-scratch", "private": true }\n' >"$work/npm/package.json"
(
  cd "$work/npm"
  npm install --no-audit --no-fund --ignore-scripts --no-save --loglevel=error \
    "@zazuko/yasgui@${YASGUI_VERSION}" \
    "leaflet@${LEAFLET_VERSION}" \
    "sigma@${SIGMA_VERSION}" \
    "graphology@${GRAPHOLOGY_VERSION}"
)
nm="$work/npm/node_modules"

# Fail loudly if npm resolved something other than the pinned version.
check_version() {
  local pkg="$1" want="$2" got
  got="$(node -p "require(process.argv[1]).version" "$nm/$pkg/package.json")"
  if [[ "$got" != "$want" ]]; then
    echo "error: $pkg is $got, expected $want" >&2
    exit 1
  fi
}
check_version "@zazuko/yasgui" "$YASGUI_VERSION"
check_version "leaflet" "$LEAFLET_VERSION"
check_version "sigma" "$SIGMA_VERSION"
check_version "graphology" "$GRAPHOLOGY_VERSION"

# ---- copy ---------------------------------------------------------------------
out="$work/out"
mkdir -p "$out"/{yasgui,leaflet/images,sigma,graphology}

cp "$nm/@zazuko/yasgui/build/yasgui.min.js"  "$out/yasgui/"
cp "$nm/@zazuko/yasgui/build/yasgui.min.css" "$out/yasgui/"

cp "$nm/leaflet/dist/leaflet.js"  "$out/leaflet/"
cp "$nm/leaflet/dist/leaflet.css" "$out/leaflet/"
cp "$nm/leaflet/dist/images/"*.png "$out/leaflet/images/"
cp "$nm/leaflet/LICENSE" "$out/leaflet/LICENSE"

cp "$nm/sigma/dist/sigma.min.js" "$out/sigma/"
cp "$nm/sigma/LICENSE.txt" "$out/sigma/LICENSE.txt"

cp "$nm/graphology/dist/graphology.umd.min.js" "$out/graphology/"
cp "$nm/graphology/LICENSE.txt" "$out/graphology/LICENSE.txt"

# The @zazuko/yasgui tarball ships no licence file (its package.json declares
# "MIT"), so write one from the upstream project's MIT licence text.
cat >"$out/yasgui/LICENSE" <<EOF
@zazuko/yasgui ${YASGUI_VERSION} -- MIT License

The npm package ships no licence file of its own. Its package.json declares
"license": "MIT", author "Triply <info@triply.cc>", contributor "Zazuko GmbH",
repository rdfjs/Yasgui (a Zazuko fork of TriplyDB/Yasgui), whose README says:
"This is a fork from Zazuko from software written by Triply. This code is
released under the MIT license." The licence text below is the upstream
YASGUI repository's LICENSE.txt, verbatim.

The MIT License (MIT)

Copyright © 2018 Ruben Taelman

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
EOF

# yasgui.min.js is a single bundle that inlines its npm dependencies
# (CodeMirror, jQuery, DataTables, DOMPurify, Font Awesome icons, lodash, ...)
# and keeps none of their licence comments. Collect the licence files of the
# package's runtime dependency tree as installed by npm. Versions are left out
# on purpose so that re-running gives the same file unless a licence changes.
echo ">> collecting third-party licences of @zazuko/yasgui dependencies"
node - "$nm" "$YASGUI_VERSION" >"$out/yasgui/THIRD_PARTY_LICENSES.txt" <<'NODE'
const fs = require("fs");
const path = require("path");
const [nm, yasguiVersion] = process.argv.slice(2);

function findPkgDir(name, fromDir) {
  // Node-style lookup: walk up through node_modules folders.
  let dir = fromDir;
  for (;;) {
    const cand = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(cand, "package.json"))) return cand;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

const rootDir = path.join(nm, "@zazuko", "yasgui");
const seen = new Map(); // name -> dir
const queue = [rootDir];
while (queue.length) {
  const dir = queue.shift();
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  for (const dep of Object.keys(pkg.dependencies || {})) {
    if (seen.has(dep)) continue;
    const depDir = findPkgDir(dep, dir);
    if (!depDir) throw new Error(`dependency ${dep} of ${pkg.name} not installed`);
    seen.set(dep, depDir);
    queue.push(depDir);
  }
}

const names = [...seen.keys()]
  .filter((n) => !n.startsWith("@types/")) // type declarations only, never bundled
  .sort();
const licRe = /^(licen[cs]e|copying|notice)([-._].*)?$/i;
const out = [];
out.push(`Third-party licences for yasgui.min.js (@zazuko/yasgui ${yasguiVersion})`);
out.push("");
out.push("yasgui.min.js bundles code from the npm packages below (the runtime");
out.push("dependency tree of @zazuko/yasgui, as resolved by npm when this folder was");
out.push("vendored; a few may not end up in the bundle). For each: the licence its");
out.push("package.json declares, then the licence file(s) the package ships.");
out.push("@zazuko/yasqe, @zazuko/yasr and @zazuko/yasgui-utils are parts of YASGUI");
out.push("itself and are covered by ./LICENSE.");
out.push("");
out.push("Packages:");
const rows = names.map((n) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(seen.get(n), "package.json"), "utf8"));
  let lic = pkg.license;
  if (lic && typeof lic === "object") lic = lic.type;
  if (!lic && Array.isArray(pkg.licenses)) lic = pkg.licenses.map((l) => l.type || l).join(" OR ");
  return { n, lic: lic || "(not declared; see licence file)", dir: seen.get(n) };
});
for (const r of rows) out.push(`  - ${r.n}: ${r.lic}`);
for (const r of rows) {
  if (r.n.startsWith("@zazuko/")) continue;
  const files = fs.readdirSync(r.dir).filter((f) => licRe.test(f)).sort();
  out.push("");
  out.push("=".repeat(78));
  out.push(`${r.n} -- ${r.lic}`);
  out.push("=".repeat(78));
  if (!files.length) {
    out.push("(the npm package ships no licence file; declared licence above)");
    continue;
  }
  for (const f of files) {
    if (files.length > 1) out.push(`--- ${f} ---`);
    out.push(fs.readFileSync(path.join(r.dir, f), "utf8").replace(/\r\n/g, "\n").trimEnd());
  }
}
process.stdout.write(out.join("\n") + "\n");
NODE

# ---- sanity checks: each file must still expose the global we rely on --------
echo ">> checking that the builds define the expected globals"
expect_in() {
  local file="$1" needle="$2" what="$3"
  if ! grep -qF -- "$needle" "$out/$file"; then
    echo "error: $file no longer contains '$needle' ($what)" >&2
    exit 1
  fi
}
expect_in yasgui/yasgui.min.js 'e.Yasgui={}' "UMD global Yasgui"
expect_in yasgui/yasgui.min.js 'Yasgui=Yasgui.default' "global Yasgui unwrapped to the class"
expect_in leaflet/leaflet.js 'window.L=t' "global L"
expect_in sigma/sigma.min.js '.Sigma=' "UMD global Sigma"
expect_in graphology/graphology.umd.min.js '.graphology=' "UMD global graphology"
# The YASGUI and Leaflet stylesheets must only reference files we ship.
if grep -qE 'url\(' "$out/yasgui/yasgui.min.css"; then
  echo "error: yasgui.min.css now references external assets; vendor them" >&2
  exit 1
fi
for img in $(grep -oE 'url\(images/[^)]+\)' "$out/leaflet/leaflet.css" | sed -E 's/^url\((.*)\)$/\1/' | sort -u); do
  [[ -f "$out/leaflet/$img" ]] || { echo "error: leaflet.css needs missing $img" >&2; exit 1; }
done

(cd "$out" && find . -type f ! -name SHA256SUMS | LC_ALL=C sort | sed 's#^\./##' | xargs sha256sum >SHA256SUMS)

# ---- install into the repo, or compare ----------------------------------------
if [[ "$mode" == "check" ]]; then
  status=0
  for d in "${MANAGED_DIRS[@]}"; do
    diff -r "$out/$d" "$vendor_dir/$d" || status=1
  done
  diff "$out/SHA256SUMS" "$vendor_dir/SHA256SUMS" || status=1
  if [[ $status -eq 0 ]]; then echo ">> vendored files are up to date"; else echo ">> vendored files differ" >&2; fi
  exit $status
fi

mkdir -p "$vendor_dir"
for d in "${MANAGED_DIRS[@]}"; do
  rm -rf "${vendor_dir:?}/$d"
  cp -R "$out/$d" "$vendor_dir/$d"
done
cp "$out/SHA256SUMS" "$vendor_dir/SHA256SUMS"

echo ">> vendored into ${vendor_dir#"$repo_root"/}:"
(
  cd "$vendor_dir"
  find "${MANAGED_DIRS[@]}" SHA256SUMS -type f | LC_ALL=C sort | xargs du -cb |
    awk '{printf "   %9d  %s\n", $1, $2}'
)

#!/usr/bin/env bash
# More typefaces for the synthetic words: free Latin font packages from Debian / Ubuntu (sign, display, text and
# handwriting faces), downloaded with apt and unpacked into one folder without installing them, so the machine's
# own fonts and other trainings' data stay as they are.
# usage: bash scripts/fetch_debian_fonts.sh [OUTPUT_DIR]        (default data/fonts_debian)
# then train with  --data.fonts "[../shared/train/fonts, data/fonts_debian]"
# Package names as in Debian 12 (bookworm); packages a release lacks are named and skipped.
# Fonts that do not draw every letter and digit are left out when the generator loads them (sceneocr/data/render.py).
set -euo pipefail
source "$(dirname "$0")/common.sh"
output="$(absolute "${1:-$ROOT/data/fonts_debian}")"
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    die "needs apt-get and dpkg-deb (Debian or Ubuntu)"
fi
if [ -e "$output" ] && [ ! -d "$output" ]; then
    die "$output: exists and is not a folder"
fi
if [ -d "$output" ] && [ -n "$(ls -A "$output")" ]; then
    die "$output: already holds files; give an empty or new folder"
fi
PACKAGES="fonts-adf-accanthis fonts-adf-baskervald fonts-adf-berenis fonts-adf-gillius fonts-adf-ikarius
fonts-adf-irianis fonts-adf-libris fonts-adf-mekanus fonts-adf-oldania fonts-adf-romande fonts-adf-solothurn
fonts-adf-switzera fonts-adf-tribun fonts-adf-universalis fonts-adf-verana fonts-allerta fonts-arapey
fonts-averia-gwf fonts-averia-sans-gwf fonts-averia-serif-gwf fonts-b612 fonts-bajaderka fonts-bebas-neue
fonts-beteckna fonts-blankenburg fonts-cabin fonts-cabinsketch fonts-campania fonts-cantarell fonts-cardo
fonts-century-catalogue fonts-cherrybomb fonts-clear-sans fonts-cmu fonts-comfortaa fonts-comic-neue
fonts-compagnon fonts-courier-prime fonts-creep2 fonts-croscore fonts-crosextra-caladea
fonts-crosextra-carlito fonts-dancingscript fonts-dejavu-extra fonts-dkg-handwriting fonts-dosis fonts-dustin
fonts-ebgaramond fonts-elstob fonts-engadget fonts-eurofurence fonts-f500 fonts-fantasque-sans fonts-fanwood
fonts-femkeklaver fonts-firacode fonts-freefont-ttf fonts-gamaliel fonts-georgewilliams fonts-go
fonts-gotico-antiqua fonts-goudybookletter fonts-hack-ttf fonts-havana fonts-humor-sans fonts-inter
fonts-isabella fonts-joscelyn fonts-junction fonts-jura fonts-karla fonts-karmilla fonts-kaushanscript
fonts-klaudia-berenika fonts-kristi fonts-lato fonts-le-murmure fonts-league-spartan fonts-leckerli-one
fonts-levien-museum fonts-liberation2 fonts-lindenhill fonts-linex fonts-linuxlibertine fonts-lobster
fonts-lobstertwo fonts-manrope fonts-millimetre fonts-mph-2b-damase fonts-national-park fonts-ocr-a
fonts-ocr-b fonts-oflb-euterpe fonts-okolaks fonts-oldstandard fonts-open-sans fonts-opendin fonts-paratype
fonts-play fonts-prociono fonts-quattrocento fonts-quicksand fonts-radisnoir fonts-rampart fonts-roadgeek
fonts-roboto-slab fonts-roboto-unhinted fonts-rocknroll fonts-routed-gothic fonts-sil-andika fonts-sil-charis
fonts-sil-gentiumplus fonts-solide-mirage fonts-sora fonts-staypuft fonts-stix fonts-summersby fonts-texgyre
fonts-tiresias fonts-train fonts-tuffy fonts-ubuntu-title fonts-urw-base35 fonts-vollkorn
fonts-yanone-kaffeesatz fonts-yrsa-rasa"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# One apt call for all; only if a package is missing, one call per package to name what is skipped.
# shellcheck disable=SC2086  # one word per package
if ! (cd "$work" && apt-get download $PACKAGES >"$work/apt.log" 2>&1); then
    missing=()
    for package in $PACKAGES; do
        (cd "$work" && apt-get download "$package" >>"$work/apt.log" 2>&1) || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] || echo "not available here, skipped: ${missing[*]}" >&2
fi
debs=("$work"/*.deb)
[ -e "${debs[0]}" ] || { cat "$work/apt.log" >&2; die "no font package could be downloaded (run 'apt-get update' first?)"; }
for deb in "${debs[@]}"; do
    dpkg-deb -x "$deb" "$work/tree"
done
# Files are copied in sorted order, so when two packages ship a file of the same name the same one is kept on every
# machine; the result is moved into place only when complete.
mkdir -p "$work/out"
copied=0
duplicates=0
while IFS= read -r -d '' font; do
    if [ -e "$work/out/$(basename "$font")" ]; then
        duplicates=$((duplicates + 1))
    else
        cp "$font" "$work/out/"
        copied=$((copied + 1))
    fi
done < <(find "$work/tree" -type f \( -iname '*.ttf' -o -iname '*.otf' \) -print0 | sort -z)
mkdir -p "$(dirname "$output")"
rmdir "$output" 2>/dev/null || true
mv "$work/out" "$output"
echo "$copied font files from ${#debs[@]} packages in $output ($duplicates same-named files left out)"

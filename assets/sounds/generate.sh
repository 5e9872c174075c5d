#!/usr/bin/env bash
# Generates the call-out clips of the hall displays with espeak-ng and sox:
# assets/sounds/chime.wav, pause.wav, vi/*.wav and en/*.wav, all 22050 Hz mono
# 16-bit PCM. The names are fixed by internal/voice/announce (Clips); its tests fail
# when a clip is missing or left over. See README.md beside this script.
#
#   assets/sounds/generate.sh            # Northern voice (default)
#   VI_VOICE=vi-vn-x-south assets/sounds/generate.sh
#
# Needs espeak-ng and sox (Debian: apt-get install espeak-ng sox). The output
# is deterministic (no dither), so re-running it changes no committed file.
set -euo pipefail

cd "$(dirname "$0")"

VI_VOICE=${VI_VOICE:-vi}   # vi (Northern), vi-vn-x-central, vi-vn-x-south
EN_VOICE=${EN_VOICE:-en}
# Words per minute: slower than espeak's 175, for elderly listeners and a
# reverberant hall.
VI_SPEED=${VI_SPEED:-135}
EN_SPEED=${EN_SPEED:-140}
RATE=22050

for tool in espeak-ng sox; do
	command -v "$tool" >/dev/null || { echo "generate.sh: $tool is not installed" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# out FILE: the sox output options shared by every clip. -D: no dither, so
# the files are reproducible and the silences stay digital zero.
fmt=(-D -r "$RATE" -c 1 -b 16 -e signed-integer)

# say LANG NAME TAIL TEXT: speak TEXT into LANG/NAME.wav, trim the silence
# around it, normalise the peak to -1 dBFS and add TAIL seconds of silence so
# that clips joined one after the other keep the rhythm of speech.
say() {
	local lang=$1 name=$2 tail=$3 text=$4 voice speed
	if [[ $lang == vi ]]; then voice=$VI_VOICE speed=$VI_SPEED; else voice=$EN_VOICE speed=$EN_SPEED; fi
	mkdir -p "$lang"
	espeak-ng -v "$voice" -s "$speed" -w "$tmp/raw.wav" -- "$text"
	sox "$tmp/raw.wav" "${fmt[@]}" "$lang/$name.wav" \
		silence 1 0.01 0.1% reverse silence 1 0.01 0.1% reverse \
		norm -1 pad 0 "$tail"
}

word=0.04    # between the words of a number: mười | hai
letter=0.06  # after a letter name (a pause clip follows anyway)
phrase=0.10  # after a phrase

# --- Vietnamese -----------------------------------------------------------
say vi moi_cong_dan_co_so $phrase "Mời công dân có số"
say vi den_quay_so        $phrase "đến quầy số"
say vi xin_nhac_lai       $phrase "Xin nhắc lại"
# The kiosk's spoken guidance (announce.Guide, announce.Issued).
say vi so                 $phrase "Số"
say vi so_cua_ban_la      $phrase "Số của bạn là"

# Number words. The plain name goes to the commoner word; the other word of
# the same letters carries its tone: mốt (sắc), mươi (ngang).
say vi khong       $word "không"
say vi mot         $word "một"
say vi hai         $word "hai"
say vi ba          $word "ba"
say vi bon         $word "bốn"
say vi nam         $word "năm"
say vi sau         $word "sáu"
say vi bay         $word "bảy"
say vi tam         $word "tám"
say vi chin        $word "chín"
say vi mot_sac     $word "mốt"
say vi tu          $word "tư"
say vi lam         $word "lăm"
say vi linh        $word "linh"
say vi muoi        $word "mười"
say vi muoi_ngang  $word "mươi"
say vi tram        $word "trăm"
say vi nghin       $word "nghìn"
say vi trieu       $word "triệu"
say vi ty          $word "tỷ"

# Letter names; the Vietnamese letters with marks are named by their Telex
# keys (ă aw, â aa, đ dd, ê ee, ô oo, ơ ow, ư uw).
say vi letter_a  $letter "a"
say vi letter_aw $letter "á"
say vi letter_aa $letter "ớ"
say vi letter_b  $letter "bê"
say vi letter_c  $letter "xê"
say vi letter_d  $letter "dê"
say vi letter_dd $letter "đê"
say vi letter_e  $letter "e"
say vi letter_ee $letter "ê"
say vi letter_f  $letter "ép"
say vi letter_g  $letter "giê"
say vi letter_h  $letter "hát"
say vi letter_i  $letter "i"
say vi letter_j  $letter "gi"
say vi letter_k  $letter "ca"
say vi letter_l  $letter "e lờ"
say vi letter_m  $letter "em mờ"
say vi letter_n  $letter "en nờ"
say vi letter_o  $letter "o"
say vi letter_oo $letter "ô"
say vi letter_ow $letter "ơ"
say vi letter_p  $letter "pê"
say vi letter_q  $letter "quy"
say vi letter_r  $letter "e rờ"
say vi letter_s  $letter "ét xì"
say vi letter_t  $letter "tê"
say vi letter_u  $letter "u"
say vi letter_uw $letter "ư"
say vi letter_v  $letter "vê"
say vi letter_w  $letter "vê kép"
say vi letter_x  $letter "ích xì"
say vi letter_y  $letter "i dài"
say vi letter_z  $letter "dét"

# --- English --------------------------------------------------------------
say en number               $phrase "Number"
say en please_go_to_counter $phrase "please go to counter"
say en calling_again        $phrase "Calling again"
say en your_number_is       $phrase "Your number is"

for w in zero one two three four five six seven eight nine ten eleven twelve \
	thirteen fourteen fifteen sixteen seventeen eighteen nineteen \
	twenty thirty forty fifty sixty seventy eighty ninety \
	hundred thousand million billion; do
	say en "$w" $word "$w"
done

for l in a b c d e f g h i j k l m n o p q r s t u v w x y z; do
	# Upper case, so that espeak names the letter ("A" is "ay", not "uh").
	say en "letter_$l" $letter "${l^^}"
done

# --- Chime and pause ------------------------------------------------------
# A two-tone "ding-dong" (E5 then C5, a major third down), each tone a sine
# with a softer octave partial for a bell-like timbre, struck (5 ms attack)
# and dying away exponentially (sox's "l" fade falls linearly in dB: the
# ding is 40 dB down after 0.6 s, the longer dong rings on). The dong starts
# 0.45 s after the ding; the whole is cut to 1.3 s with a gentle fade out.
calc() { awk "BEGIN { print $1 }"; }
tone() { # tone FREQ SECONDS OUT
	sox -n "${fmt[@]}" "$tmp/f.wav" synth "$2" sine "$1"
	sox -n "${fmt[@]}" "$tmp/o.wav" synth "$2" sine "$(calc "$1 * 2")" vol 0.25
	sox -m "$tmp/f.wav" "$tmp/o.wav" "${fmt[@]}" "$3" fade l 0.005 "$2" "$(calc "$2 - 0.005")"
}
tone 659.25 1.5 "$tmp/ding.wav"
tone 523.25 2.0 "$tmp/dong.wav"
sox "$tmp/dong.wav" "${fmt[@]}" "$tmp/dong-late.wav" pad 0.45 0
sox -m "$tmp/ding.wav" "$tmp/dong-late.wav" "${fmt[@]}" chime.wav trim 0 1.3 fade t 0 1.3 0.35 norm -3

# The pause between the parts of a call-out: a comma's worth of silence.
sox -n "${fmt[@]}" pause.wav trim 0 0.25

echo "generate.sh: $(find vi en -name '*.wav' | wc -l) voice clips, chime.wav and pause.wav in $(pwd)"

// The call-out script: a line-by-line port of internal/voice/announce (words.go,
// code.go, script.go), so the web display says exactly what the Fyne display
// says, from the same clips. server/webtest checks it against
// internal/voice/announce/testdata/scripts.json. Numbers are BigInt inside, as the
// Go code reads up to 18 digits (beyond Number's exact range).

export const CHIME = 'chime';
export const PAUSE = 'pause';
const VI = { call: 'vi/moi_cong_dan_co_so', counter: 'vi/den_quay_so', recall: 'vi/xin_nhac_lai' };
const EN = { call: 'en/number', counter: 'en/please_go_to_counter', recall: 'en/calling_again' };

// Vietnamese words: [text, clip]. Digits 0–9 first, at their index.
const W = {
  khong: ['không', 'vi/khong'], mot: ['một', 'vi/mot'], hai: ['hai', 'vi/hai'], ba: ['ba', 'vi/ba'],
  bon: ['bốn', 'vi/bon'], nam: ['năm', 'vi/nam'], sau: ['sáu', 'vi/sau'], bay: ['bảy', 'vi/bay'],
  tam: ['tám', 'vi/tam'], chin: ['chín', 'vi/chin'],
  motSac: ['mốt', 'vi/mot_sac'], tu: ['tư', 'vi/tu'], lam: ['lăm', 'vi/lam'], linh: ['linh', 'vi/linh'],
  muoi: ['mười', 'vi/muoi'], muoiNgang: ['mươi', 'vi/muoi_ngang'], tram: ['trăm', 'vi/tram'],
  nghin: ['nghìn', 'vi/nghin'], trieu: ['triệu', 'vi/trieu'], ty: ['tỷ', 'vi/ty'],
};
const DIGIT = [W.khong, W.mot, W.hai, W.ba, W.bon, W.nam, W.sau, W.bay, W.tam, W.chin];

const THOUSAND = 1000n;
const MILLION = 1000000n;
const BILLION = 1000000000n;

function viNumber(n) {
  if (n === 0n) return [W.khong];
  return viAppend([], n, false);
}

function viAppend(ws, n, inner) {
  if (n >= BILLION) {
    ws = viAppend(ws, n / BILLION, inner);
    ws.push(W.ty);
    const rest = n % BILLION;
    if (rest > 0n) ws = viAppend(ws, rest, true);
    return ws;
  }
  const groups = [[n / MILLION, W.trieu], [(n / THOUSAND) % THOUSAND, W.nghin], [n % THOUSAND, null]];
  for (const [value, scale] of groups) {
    if (value === 0n) continue;
    viAppendGroup(ws, Number(value), inner);
    if (scale) ws.push(scale);
    inner = true;
  }
  return ws;
}

function viAppendGroup(ws, g, full) {
  const h = Math.floor(g / 100), t = Math.floor(g / 10) % 10, u = g % 10;
  const hundreds = h > 0 || full;
  if (hundreds) ws.push(DIGIT[h], W.tram);
  if (t === 0 && u === 0) {
    // nothing
  } else if (t === 0) {
    if (hundreds) ws.push(W.linh);
    ws.push(DIGIT[u]);
  } else if (t === 1) {
    ws.push(W.muoi);
    if (u === 5) ws.push(W.lam);
    else if (u !== 0) ws.push(DIGIT[u]);
  } else {
    ws.push(DIGIT[t], W.muoiNgang);
    if (u === 1) ws.push(W.motSac);
    else if (u === 4) ws.push(W.tu);
    else if (u === 5) ws.push(W.lam);
    else if (u !== 0) ws.push(DIGIT[u]);
  }
  return ws;
}

const EN_ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const EN_TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

function enNumber(n) {
  if (n === 0n) return [EN_ONES[0]];
  return enAppend([], n);
}

function enAppend(ws, n) {
  for (const [value, word] of [[BILLION, 'billion'], [MILLION, 'million'], [THOUSAND, 'thousand']]) {
    if (n >= value) {
      ws = enAppend(ws, n / value);
      ws.push(word);
      n %= value;
      if (n === 0n) return ws;
    }
  }
  if (n >= 100n) {
    ws.push(EN_ONES[Number(n / 100n)], 'hundred');
    n %= 100n;
    if (n === 0n) return ws;
  }
  const m = Number(n);
  if (m < 20) {
    ws.push(EN_ONES[m]);
    return ws;
  }
  ws.push(EN_TENS[Math.floor(m / 10)]);
  if (m % 10 > 0) ws.push(EN_ONES[m % 10]);
  return ws;
}

function enText(ws) {
  let s = '';
  ws.forEach((w, i) => {
    if (i > 0) s += ws[i - 1].endsWith('ty') && EN_ONES.slice(1, 10).includes(w) ? '-' : ' ';
    s += w;
  });
  return s;
}

function toBig(n) {
  return typeof n === 'bigint' ? n : BigInt(Math.trunc(n));
}

/** words reads n in Vietnamese ("một nghìn không trăm hai mươi tư"). */
export function words(n) {
  n = toBig(n);
  if (n < 0n) return 'âm ' + viNumber(-n).map((w) => w[0]).join(' ');
  return viNumber(n).map((w) => w[0]).join(' ');
}

/** englishWords reads n in English ("one thousand twenty-four"). */
export function englishWords(n) {
  n = toBig(n);
  if (n < 0n) return 'minus ' + enText(enNumber(-n));
  return enText(enNumber(n));
}

/** numberClips returns the clips that read n in lang ("vi" or "en"). */
export function numberClips(n, lang) {
  n = toBig(n);
  if (lang === 'en') return enNumber(n).map((w) => 'en/' + w);
  return viNumber(n).map((w) => w[1]);
}

// Vietnamese letters: upper-case letter → [Telex key, spoken name].
const VI_LETTERS = {
  A: ['a', 'a'], Ă: ['aw', 'á'], Â: ['aa', 'ớ'], B: ['b', 'bê'], C: ['c', 'xê'], D: ['d', 'dê'],
  Đ: ['dd', 'đê'], E: ['e', 'e'], Ê: ['ee', 'ê'], F: ['f', 'ép'], G: ['g', 'giê'], H: ['h', 'hát'],
  I: ['i', 'i'], J: ['j', 'gi'], K: ['k', 'ca'], L: ['l', 'e-lờ'], M: ['m', 'em-mờ'], N: ['n', 'en-nờ'],
  O: ['o', 'o'], Ô: ['oo', 'ô'], Ơ: ['ow', 'ơ'], P: ['p', 'pê'], Q: ['q', 'quy'], R: ['r', 'e-rờ'],
  S: ['s', 'ét-xì'], T: ['t', 'tê'], U: ['u', 'u'], Ư: ['uw', 'ư'], V: ['v', 'vê'], W: ['w', 'vê-kép'],
  X: ['x', 'ích-xì'], Y: ['y', 'i-dài'], Z: ['z', 'dét'],
};
const EN_FOLD = { Ă: 'A', Â: 'A', Đ: 'D', Ê: 'E', Ô: 'O', Ơ: 'O', Ư: 'U' };

// upper upper-cases one letter the way Go's unicode.ToUpper does for the
// letters that matter (a single code point in, one out).
function upper(r) {
  const u = r.toUpperCase();
  return [...u].length === 1 ? u : r;
}

const MAX_NUMBER_DIGITS = 18;

function isDigit(r) { return r >= '0' && r <= '9'; }

// codeUnits splits a ticket code into spoken units: {clips, text}.
function codeUnits(code, mode, lang) {
  const units = [];
  const rs = [...code];
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i];
    if (isDigit(r)) {
      let j = i;
      while (j < rs.length && isDigit(rs[j])) j++;
      appendDigits(units, rs.slice(i, j).join(''), mode, lang);
      i = j - 1;
      continue;
    }
    const u = upper(r);
    if (lang === 'en') {
      const f = EN_FOLD[u] || u;
      if (f.length === 1 && f >= 'A' && f <= 'Z') {
        units.push({ clips: ['en/letter_' + f.toLowerCase()], text: f.toLowerCase() });
      }
      continue;
    }
    const l = VI_LETTERS[u];
    if (l) units.push({ clips: ['vi/letter_' + l[0]], text: l[1] });
  }
  return units;
}

function appendDigits(units, digits, mode, lang) {
  const significant = digits.replace(/^0+/, '');
  if (mode !== 'digits' && significant.length <= MAX_NUMBER_DIGITS) {
    units.push(numberUnit(significant === '' ? 0n : BigInt(significant), lang));
    return;
  }
  for (const d of digits) units.push(numberUnit(BigInt(d), lang));
}

function numberUnit(n, lang) {
  if (lang === 'en') {
    const ws = enNumber(n);
    return { clips: ws.map((w) => 'en/' + w), text: enText(ws) };
  }
  const ws = viNumber(n);
  return { clips: ws.map((w) => w[1]), text: ws.map((w) => w[0]).join(' ') };
}

/** readCode is how a code is read in Vietnamese: "A012" → "a, mười hai". */
export function readCode(code, mode) {
  return codeUnits(code, mode, 'vi').map((u) => u.text).join(', ');
}

function appendCallout(s, code, counter, recall, mode, lang) {
  const p = lang === 'en' ? EN : VI;
  if (recall) s.push(p.recall, PAUSE);
  s.push(p.call);
  codeUnits(code, mode, lang).forEach((u, i) => {
    if (i > 0) s.push(PAUSE);
    s.push(...u.clips);
  });
  if (counter > 0) {
    s.push(PAUSE, p.counter);
    s.push(...numberClips(counter, lang));
  }
  return s;
}

/**
 * script returns the clips of call c ({ticket, counter, recall}) in order,
 * with opts {readNumbers: "number"|"digits", english: bool, short: bool}:
 * [chime] Vietnamese call-out [pause pause English call-out].
 */
export function script(c, opts = {}) {
  const t = c.ticket || {};
  let code = t.code || '';
  if (code === '' && t.number > 0) code = String(t.number);
  const english = !opts.short && (opts.english || t.lang === 'en');
  const counter = (c.counter && c.counter.number) || 0;
  const s = [];
  if (!opts.short) s.push(CHIME);
  appendCallout(s, code, counter, !!c.recall, opts.readNumbers || '', 'vi');
  if (english) {
    // Two pauses: the switch of language needs a longer breath than a comma.
    s.push(PAUSE, PAUSE);
    appendCallout(s, code, counter, !!c.recall, opts.readNumbers || '', 'en');
  }
  return s;
}

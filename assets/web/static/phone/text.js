// Texts of the phone ticket page and the counter rating tablet, Vietnamese
// first. Plain words: many readers are elderly or first-time users.

const dict = {
  vi: {
    'lang.switch': 'English',
    'loading': 'Đang tải phiếu…',
    'title': 'Phiếu xếp hàng',
    'ticket': 'Số thứ tự',
    'priority': 'Ưu tiên',
    'field': 'Lĩnh vực',
    'status.waiting': 'Đang chờ đến lượt',
    'ahead': 'Số người trước bạn',
    'ahead.none': 'Bạn là người tiếp theo',
    'eta': 'Thời gian chờ dự kiến',
    'eta.soon': 'Sắp đến lượt',
    'eta.min': 'khoảng {m} phút',
    'eta.hour': 'khoảng {h} giờ {m} phút',
    'eta.at': 'dự kiến được gọi lúc {t}',
    'eta.range': 'thường từ {a} đến {b}',
    'eta.range.min': 'thường {a}–{b} phút',
    'eta.within': 'thường trong vòng {b}',
    'dur.min': '{m} phút',
    'dur.hour': '{h} giờ {m} phút',
    'dur.hours': '{h} giờ',
    'eta.nocounter': 'Chưa có quầy nào mở cho lĩnh vực này; thời gian chỉ là ước tính.',
    'counters': '{n} quầy đang phục vụ lĩnh vực này',
    'live.on': 'Đang cập nhật trực tiếp',
    'live.off': 'Mất kết nối — đang thử lại…',
    'sound.on': 'Bật chuông báo khi đến lượt',
    'sound.ready': 'Chuông báo đã bật',
    'keep': 'Bạn có thể đi lại gần đó; giữ trang này mở, điện thoại sẽ rung khi đến lượt.',
    'called.title': 'Đến lượt bạn',
    'called.go': 'Mời đến {counter}',
    'called.recall': 'Gọi lại lần {n} — xin mời nhanh chân',
    'called.hint': 'Vui lòng mang theo giấy tờ và đưa phiếu cho cán bộ.',
    'transferred': 'Hồ sơ của bạn đã được chuyển sang lĩnh vực “{field}”. Bạn giữ nguyên thứ tự theo giờ lấy số.',
    'noshow.title': 'Bạn đã được gọi nhưng không có mặt',
    'noshow.text': 'Phiếu {code} đã bị bỏ qua. Nếu bạn vẫn cần làm thủ tục, vui lòng đến bàn hướng dẫn hoặc lấy số mới tại ki-ốt.',
    'cancelled.title': 'Phiếu đã hết hiệu lực',
    'cancelled.text': 'Phiếu chỉ dùng trong ngày lấy số. Vui lòng lấy số mới khi đến trung tâm.',
    'done.title': 'Đã hoàn thành',
    'done.text': 'Cảm ơn bạn đã sử dụng dịch vụ.',
    'rate.q': 'Bạn có hài lòng với sự phục vụ?',
    'rate.very_satisfied': 'Rất hài lòng',
    'rate.satisfied': 'Hài lòng',
    'rate.unsatisfied': 'Chưa hài lòng',
    'rate.comment': 'Góp ý thêm (không bắt buộc)',
    'rate.comment.why': 'Lý do khác hoặc góp ý (không bắt buộc)',
    'rate.why': 'Vì sao quý vị chưa hài lòng? (có thể chọn nhiều, không bắt buộc)',
    'rate.reason.long_wait': 'Chờ lâu',
    'rate.reason.attitude': 'Thái độ phục vụ',
    'rate.reason.unclear_guidance': 'Hướng dẫn chưa rõ',
    'rate.reason.missing_information': 'Thiếu thông tin',
    'rate.reason.other': 'Lý do khác',
    'rate.privacy': 'Xin đừng ghi họ tên hay số điện thoại.',
    'rate.send': 'Gửi đánh giá',
    'rate.sending': 'Đang gửi…',
    'rate.pick': 'Vui lòng chọn một mức độ hài lòng.',
    'rate.error': 'Chưa gửi được, vui lòng thử lại.',
    'thanks.title': 'Cảm ơn bạn đã đánh giá!',
    'thanks.text': 'Ý kiến của bạn giúp trung tâm phục vụ tốt hơn.',
    'unknown.title': 'Không tìm thấy phiếu',
    'unknown.text': 'Mã trên đường dẫn không đúng hoặc phiếu đã bị xoá. Vui lòng quét lại mã QR trên phiếu, hoặc hỏi bàn hướng dẫn.',
    'limited': 'Quá nhiều yêu cầu, vui lòng chờ một chút.',
    'offline': 'Không kết nối được máy chủ. Đang thử lại…',
    'tablet.counter': 'Quầy {n}',
    'tablet.idle.title': 'Đánh giá mức độ hài lòng',
    'tablet.idle.text': 'Sau khi cán bộ hoàn thành hồ sơ của bạn, vui lòng đánh giá sự phục vụ tại đây.',
    'tablet.for': 'Phiếu {code} · {field}',
    'tablet.left': 'Còn {s} giây',
    'tablet.forbidden': 'Tài khoản này không phục vụ quầy này.',
    'tablet.unknown': 'Không có quầy này.',
  },
  en: {
    'lang.switch': 'Tiếng Việt',
    'loading': 'Loading your ticket…',
    'title': 'Queue ticket',
    'ticket': 'Your number',
    'priority': 'Priority',
    'field': 'Service',
    'status.waiting': 'Waiting for your turn',
    'ahead': 'People before you',
    'ahead.none': 'You are next',
    'eta': 'Expected wait',
    'eta.soon': 'Very soon',
    'eta.min': 'about {m} min',
    'eta.hour': 'about {h} h {m} min',
    'eta.at': 'expected call at {t}',
    'eta.range': 'usually {a} to {b}',
    'eta.range.min': 'usually {a}–{b} min',
    'eta.within': 'usually within {b}',
    'dur.min': '{m} min',
    'dur.hour': '{h} h {m} min',
    'dur.hours': '{h} h',
    'eta.nocounter': 'No counter is open for this service yet; the time is only an estimate.',
    'counters': '{n} counter(s) serving this service',
    'live.on': 'Live updates',
    'live.off': 'Connection lost — retrying…',
    'sound.on': 'Turn on the alert sound',
    'sound.ready': 'Alert sound is on',
    'keep': 'You may walk around nearby; keep this page open, your phone will vibrate when it is your turn.',
    'called.title': 'It is your turn',
    'called.go': 'Please go to {counter}',
    'called.recall': 'Called again ({n}) — please hurry',
    'called.hint': 'Please bring your documents and hand your ticket to the clerk.',
    'transferred': 'Your case was transferred to “{field}”. You keep your place by the time you took your number.',
    'noshow.title': 'You were called but were not there',
    'noshow.text': 'Ticket {code} was skipped. If you still need the service, please ask at the help desk or take a new number at the kiosk.',
    'cancelled.title': 'This ticket has expired',
    'cancelled.text': 'Tickets are valid on the day they were taken. Please take a new number when you come.',
    'done.title': 'Completed',
    'done.text': 'Thank you for using our service.',
    'rate.q': 'Were you satisfied with the service?',
    'rate.very_satisfied': 'Very satisfied',
    'rate.satisfied': 'Satisfied',
    'rate.unsatisfied': 'Not satisfied',
    'rate.comment': 'Comment (optional)',
    'rate.comment.why': 'Other reason or comment (optional)',
    'rate.why': 'Why were you not satisfied? (choose any, optional)',
    'rate.reason.long_wait': 'Long wait',
    'rate.reason.attitude': 'Staff attitude',
    'rate.reason.unclear_guidance': 'Unclear guidance',
    'rate.reason.missing_information': 'Missing information',
    'rate.reason.other': 'Other reason',
    'rate.privacy': 'Please do not write names or phone numbers.',
    'rate.send': 'Send rating',
    'rate.sending': 'Sending…',
    'rate.pick': 'Please choose how satisfied you were.',
    'rate.error': 'Could not send; please try again.',
    'thanks.title': 'Thank you for your rating!',
    'thanks.text': 'Your opinion helps the centre serve better.',
    'unknown.title': 'Ticket not found',
    'unknown.text': 'The link is wrong or the ticket no longer exists. Please scan the QR code on your ticket again, or ask at the help desk.',
    'limited': 'Too many requests; please wait a moment.',
    'offline': 'Cannot reach the server. Retrying…',
    'tablet.counter': 'Counter {n}',
    'tablet.idle.title': 'Rate our service',
    'tablet.idle.text': 'When the clerk has finished your case, please rate the service here.',
    'tablet.for': 'Ticket {code} · {field}',
    'tablet.left': '{s} s left',
    'tablet.forbidden': 'This account does not serve this counter.',
    'tablet.unknown': 'There is no such counter.',
  },
};

const KEY = 'civiq.lang';
let current = 'vi';
try { current = localStorage.getItem(KEY) === 'en' ? 'en' : 'vi'; } catch { /* storage blocked */ }

/** hasChoice tells whether the user picked a language on this device. */
export function hasChoice() {
  try { return !!localStorage.getItem(KEY); } catch { return false; }
}

export function lang() { return current; }

export function setLang(l, remember = true) {
  current = l === 'en' ? 'en' : 'vi';
  document.documentElement.lang = current;
  if (remember) { try { localStorage.setItem(KEY, current); } catch { /* ignore */ } }
}

/** t returns the text of key with {vars} filled in. */
export function t(key, vars) {
  let s = dict[current][key] ?? dict.vi[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll('{' + k + '}', String(v));
  return s;
}

/** name picks a {vi, en} text in the current language. */
export function name(txt) {
  if (!txt) return '';
  return current === 'en' && txt.en ? txt.en : (txt.vi || txt.en || '');
}

/** h builds an element; attrs set properties or attributes; children are nodes or text. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

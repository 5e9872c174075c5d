// The printable monthly summary (/admin/summary): the print button.
document.getElementById('print').addEventListener('click', () => window.print());

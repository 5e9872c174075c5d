// Package webtest holds the end-to-end tests of the staff web pages (clerk
// console, admin, home): a real server from servertest driven through a real
// headless Chromium with chromedp. The tests fail, never skip, when Chromium
// is missing: `make deps` installs it.
//
// Run with -screenshots=DIR (e.g. ../../docs/screenshots) to write the page
// screenshots; without it they go to a temporary folder and are only checked
// for layout faults.
package webtest

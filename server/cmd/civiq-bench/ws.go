package main

import (
	"bytes"
	"errors"
	"net"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civiq/civiq/server/protocol"
)

// wsConn is one benchmark subscriber.
type wsConn struct {
	c   *websocket.Conn
	raw net.Conn
}

func dialWS(d *net.Dialer, url string) (*wsConn, error) {
	wd := websocket.Dialer{NetDial: d.Dial, HandshakeTimeout: 60 * time.Second, ReadBufferSize: 2048, WriteBufferSize: 256}
	c, _, err := wd.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(16 << 20)
	return &wsConn{c: c, raw: c.NetConn()}, nil
}

// next reads one event and returns its type and, for calls, the ticket id.
// It looks the fields up without decoding the whole event: one process
// plays thousands of displays on a 2-core machine shared with the server,
// and full decoding would measure the benchmark rather than the server.
func (w *wsConn) next() (typ, id string, err error) {
	_, b, err := w.c.ReadMessage()
	if err != nil {
		return "", "", err
	}
	typ = field(b, `"type":"`)
	if typ == "" {
		return "", "", errors.New("event without type")
	}
	if typ == protocol.EventTicketCalled {
		id = field(b, `"ticket":{"id":"`)
	}
	return typ, id, nil
}

// field returns the string value following key in b.
func field(b []byte, key string) string {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return ""
	}
	rest := b[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

package pipeline

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"direct", "203.0.113.7:5555", nil, "203.0.113.7"},
		{"untrusted peer spoofs XFF", "203.0.113.7:5555", []string{"1.2.3.4"}, "203.0.113.7"},
		{"trusted proxy", "10.1.1.1:80", []string{"198.51.100.9"}, "198.51.100.9"},
		{"rightmost untrusted hop", "10.1.1.1:80", []string{"6.6.6.6, 198.51.100.9, 10.2.2.2"}, "198.51.100.9"},
		{"client-forged leftmost ignored", "10.1.1.1:80", []string{"6.6.6.6", "198.51.100.9"}, "198.51.100.9"},
		{"all hops trusted", "10.1.1.1:80", []string{"10.3.3.3, 10.2.2.2"}, "10.3.3.3"},
		{"trusted proxy without XFF", "10.1.1.1:80", nil, "10.1.1.1"},
		{"malformed hop: client unknown", "10.1.1.1:80", []string{"198.51.100.9, bogus"}, "invalid IP"},
		{"unknown hop: client unknown", "10.1.1.1:80", []string{"unknown"}, "invalid IP"},
		{"zoned hop: client unknown", "10.1.1.1:80", []string{"fe80::1%eth0"}, "invalid IP"},
		{"hop with a port", "10.1.1.1:80", []string{"198.51.100.9:4711"}, "198.51.100.9"},
		{"v6 hop with a port", "10.1.1.1:80", []string{"[2001:db8::7]:443"}, "2001:db8::7"},
		{"ipv6", "[fd00::1]:443", []string{"2001:db8::5"}, "2001:db8::5"},
		{"ipv4-mapped peer", "[::ffff:10.1.1.1]:80", []string{"198.51.100.9"}, "198.51.100.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientIP(r, trusted); got.String() != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

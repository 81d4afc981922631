package jws

import "encoding/binary"

// A strict base64url (RFC 4648 §5, unpadded) decoder that reads the token
// string in place. encoding/base64 needs a []byte source, which would mean
// copying the token first, and its lenient handling of '\r' and '\n' must
// be guarded against anyway; this one refuses every byte outside the
// alphabet, a length of 1 mod 4, and non-zero unused trailing bits (so
// every accepted segment has exactly one encoding).

// b64val maps an alphabet byte to its 6-bit value and any other byte to
// 0xFF, whose high bits mark it invalid after OR-ing four lookups.
var b64val = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for i, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = byte(i)
	}
	return t
}()

// unpad strips the "=" padding of a padded base64url segment and reports
// whether the padding was exactly right: none at all, or one "=" after a
// group of three characters or two after a group of two, so that the
// padded length is a multiple of four. What remains is decoded by
// decodeSegment with every strict rule, so "=" anywhere else is refused.
func unpad(seg string) (string, bool) {
	n := 0
	for n < 2 && n < len(seg) && seg[len(seg)-1-n] == '=' {
		n++
	}
	if n == 0 {
		return seg, true
	}
	if len(seg)%4 != 0 {
		return seg, false
	}
	rest := seg[:len(seg)-n]
	// One "=" stands for a final group of 3 characters, two for 2.
	if len(rest)%4 != 4-n || (len(rest) > 0 && rest[len(rest)-1] == '=') {
		return seg, false
	}
	return rest, true
}

// decodedLen is the decoded size of an unpadded segment of n characters.
func decodedLen(n int) int { return n * 6 / 8 }

// decodeSegment decodes src into dst, which must hold decodedLen(len(src))
// bytes, and reports whether src was canonical unpadded base64url.
func decodeSegment(dst []byte, src string) bool {
	if len(src)%4 == 1 {
		return false
	}
	di := 0
	si := 0
	// Eight characters make six bytes; written as one 8-byte store while
	// dst has room for the two bytes of slack the store overwrites.
	for ; si+8 <= len(src) && di+8 <= len(dst); si, di = si+8, di+6 {
		s := src[si : si+8]
		a0, a1, a2, a3 := b64val[s[0]], b64val[s[1]], b64val[s[2]], b64val[s[3]]
		a4, a5, a6, a7 := b64val[s[4]], b64val[s[5]], b64val[s[6]], b64val[s[7]]
		if (a0|a1|a2|a3|a4|a5|a6|a7)&0xC0 != 0 {
			return false
		}
		v := uint64(a0)<<58 | uint64(a1)<<52 | uint64(a2)<<46 | uint64(a3)<<40 |
			uint64(a4)<<34 | uint64(a5)<<28 | uint64(a6)<<22 | uint64(a7)<<16
		binary.BigEndian.PutUint64(dst[di:], v)
	}
	for ; si+8 <= len(src); si += 8 {
		s := src[si : si+8]
		a0, a1, a2, a3 := b64val[s[0]], b64val[s[1]], b64val[s[2]], b64val[s[3]]
		a4, a5, a6, a7 := b64val[s[4]], b64val[s[5]], b64val[s[6]], b64val[s[7]]
		if (a0|a1|a2|a3|a4|a5|a6|a7)&0xC0 != 0 {
			return false
		}
		d := dst[di : di+6]
		d[0] = a0<<2 | a1>>4
		d[1] = a1<<4 | a2>>2
		d[2] = a2<<6 | a3
		d[3] = a4<<2 | a5>>4
		d[4] = a5<<4 | a6>>2
		d[5] = a6<<6 | a7
		di += 6
	}
	for ; si+4 <= len(src); si += 4 {
		s := src[si : si+4]
		a0, a1, a2, a3 := b64val[s[0]], b64val[s[1]], b64val[s[2]], b64val[s[3]]
		if (a0|a1|a2|a3)&0xC0 != 0 {
			return false
		}
		d := dst[di : di+3]
		d[0] = a0<<2 | a1>>4
		d[1] = a1<<4 | a2>>2
		d[2] = a2<<6 | a3
		di += 3
	}
	switch len(src) - si {
	case 2:
		a0, a1 := b64val[src[si]], b64val[src[si+1]]
		if (a0|a1)&0xC0 != 0 || a1&0x0F != 0 {
			return false
		}
		dst[di] = a0<<2 | a1>>4
	case 3:
		a0, a1, a2 := b64val[src[si]], b64val[src[si+1]], b64val[src[si+2]]
		if (a0|a1|a2)&0xC0 != 0 || a2&0x03 != 0 {
			return false
		}
		dst[di] = a0<<2 | a1>>4
		dst[di+1] = a1<<4 | a2>>2
	}
	return true
}

package media

// G.711 (ITU-T G.711, 1988) companding between 16-bit linear PCM and the
// 8-bit µ-law and A-law code words, written from the segment definitions of
// the standard. µ-law quantises 14 bits and A-law 13 bits of magnitude; here
// both take and give 16-bit samples, so the low bits are scaled accordingly.
// Each code word decodes to the middle of its quantisation interval.

// µ-law: magnitude plus a bias of 33 (14-bit scale, 132 on the 16-bit scale)
// falls in one of eight segments [2^(s+5), 2^(s+6)); the four bits after the
// leading one are the mantissa. The whole code word is sent inverted.
const (
	ulawBias = 132   // 33 on the 14-bit scale
	ulawClip = 32635 // largest magnitude whose biased value fits 15 bits
)

// LinearToULaw encodes one 16-bit linear sample as a G.711 µ-law code word.
func LinearToULaw(sample int16) byte {
	m := int32(sample)
	var sign byte
	if m < 0 {
		sign = 0x80
		m = -m
	}
	if m > ulawClip {
		m = ulawClip
	}
	m += ulawBias
	// The segment is the position of the leading one above bit 7.
	seg := byte(0)
	for v := m >> 8; v != 0; v >>= 1 {
		seg++
	}
	mant := byte(m>>(seg+3)) & 0x0f
	return ^(sign | seg<<4 | mant)
}

// ULawToLinear decodes a G.711 µ-law code word to a 16-bit linear sample.
func ULawToLinear(code byte) int16 {
	u := ^code
	seg := (u >> 4) & 0x07
	mant := int32(u & 0x0f)
	m := ((mant<<3 + ulawBias) << seg) - ulawBias
	if u&0x80 != 0 {
		return int16(-m)
	}
	return int16(m)
}

// A-law: the 12-bit magnitude (13-bit scale, sign apart) is linear below 32
// (segment 0, steps of 2); above, segment s covers [2^(s+4), 2^(s+5)) with
// the four bits after the leading one as mantissa. The sign bit is 1 for
// positive samples, and the even bits of the code word are inverted (XOR
// 0x55) on the line.
const alawInvert = 0x55

// LinearToALaw encodes one 16-bit linear sample as a G.711 A-law code word.
func LinearToALaw(sample int16) byte {
	m := int32(sample)
	sign := byte(0x80)
	if m < 0 {
		sign = 0
		m = -m
	}
	m >>= 3 // 13-bit scale
	if m > 0x0fff {
		m = 0x0fff
	}
	var seg, mant byte
	if m < 32 {
		mant = byte(m >> 1)
	} else {
		// Leading one at bit s+4 means segment s.
		seg = 1
		for v := m >> 6; v != 0; v >>= 1 {
			seg++
		}
		mant = byte(m>>seg) & 0x0f
	}
	return (sign | seg<<4 | mant) ^ alawInvert
}

// ALawToLinear decodes a G.711 A-law code word to a 16-bit linear sample.
func ALawToLinear(code byte) int16 {
	a := code ^ alawInvert
	seg := (a >> 4) & 0x07
	mant := int32(a & 0x0f)
	var m int32
	if seg == 0 {
		m = mant<<4 + 8
	} else {
		m = (mant<<4 + 0x108) << (seg - 1)
	}
	if a&0x80 == 0 {
		return int16(-m)
	}
	return int16(m)
}

// Transcoding between the two laws is a byte-for-byte table lookup, done in
// place on a packet's payload when the legs negotiated different laws.
var (
	ulawToALaw = transcodeTable(ULawToLinear, LinearToALaw)
	alawToULaw = transcodeTable(ALawToLinear, LinearToULaw)
)

func transcodeTable(decode func(byte) int16, encode func(int16) byte) *[256]byte {
	var t [256]byte
	for c := range t {
		t[c] = encode(decode(byte(c)))
	}
	return &t
}

// transcoder returns the table that turns payload type from's code words
// into payload type to's, or nil when there is none.
func transcoder(from, to uint8) *[256]byte {
	switch {
	case from == PCMU.PayloadType && to == PCMA.PayloadType:
		return ulawToALaw
	case from == PCMA.PayloadType && to == PCMU.PayloadType:
		return alawToULaw
	}
	return nil
}

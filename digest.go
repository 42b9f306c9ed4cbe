package sipsim

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
)

// DigestHA1 returns the RFC 7616 HA1 = H(username ":" realm ":" password)
// for MD5 and SHA-256. Phones' SIP passwords are stored only in this form:
// enough to verify a digest response, useless to log in elsewhere.
func DigestHA1(username, realm, password string) (md5hex, sha256hex string) {
	s := username + ":" + realm + ":" + password
	m := md5.Sum([]byte(s))
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(m[:]), hex.EncodeToString(h[:])
}

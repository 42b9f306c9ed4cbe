// Package audio turns uploaded prompts (WAV or MP3) into the one format the
// telephony side plays: 16-bit PCM, mono, 8 kHz, in a WAV container. Every
// decoder works on bytes already in memory (uploads are capped by the API)
// and answers bad input with an EINVALID error, never a panic.
package audio

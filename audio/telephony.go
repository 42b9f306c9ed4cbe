package audio

import "math"

// TelephonySamples decodes a stored audio file (the WAV Convert wrote)
// into the 16-bit samples at SampleRate that the media relay plays.
// Other WAVs are mixed down and resampled on the way.
func TelephonySamples(wav []byte) ([]int16, error) {
	pcm, err := DecodeWAV(wav)
	if err != nil {
		return nil, err
	}
	x := pcm.Samples
	if pcm.Rate != SampleRate {
		x = Resample(x, pcm.Rate, SampleRate)
	}
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(math.Round(float64(max(-1, min(v, 32767.0/32768)) * 32768)))
	}
	return out, nil
}

package audio

import (
	"math"
	"sync"
)

// The resampler is a windowed-sinc interpolator: each output sample is the
// input convolved with a low-pass kernel centred on its position. The
// kernel's cutoff sits just under the lower of the two Nyquist frequencies,
// so downsampling removes what 8 kHz cannot carry instead of folding it
// back as aliases.
const (
	zeroCrossings = 16   // kernel half-width, in zero crossings of the sinc
	tableRes      = 512  // kernel table points per zero crossing
	cutoffFactor  = 0.94 // keep the transition band below Nyquist
)

// kernel is the windowed sinc sampled tableRes times per zero crossing,
// from 0 to zeroCrossings (it is symmetric).
var kernel = sync.OnceValue(func() []float64 {
	n := zeroCrossings*tableRes + 1
	k := make([]float64, n+1) // one extra point for interpolation at the end
	for i := range n {
		x := float64(i) / tableRes
		w := blackman(x / zeroCrossings)
		if i == 0 {
			k[i] = 1
			continue
		}
		k[i] = math.Sin(math.Pi*x) / (math.Pi * x) * w
	}
	return k
})

// blackman is the Blackman window at u in [0, 1] from its centre.
func blackman(u float64) float64 {
	if u >= 1 {
		return 0
	}
	a := math.Pi * (u + 1) // u = 0 is the window's peak
	return 0.42 - 0.5*math.Cos(a) + 0.08*math.Cos(2*a)
}

// kernelAt returns the kernel at x zero crossings from its centre.
func kernelAt(k []float64, x float64) float64 {
	x = math.Abs(x)
	if x >= zeroCrossings {
		return 0
	}
	p := x * tableRes
	i := int(p)
	f := p - float64(i)
	return k[i] + f*(k[i+1]-k[i])
}

// Resample converts samples from rate from to rate to.
func Resample(in []float32, from, to int) []float32 {
	if from == to || len(in) == 0 {
		return append([]float32(nil), in...)
	}
	k := kernel()
	ratio := float64(to) / float64(from)
	scale := math.Min(1, ratio) * cutoffFactor // cutoff, relative to the input's Nyquist
	half := zeroCrossings / scale              // kernel half-width in input samples
	n := int(math.Floor(float64(len(in)) * ratio))
	out := make([]float32, n)
	for j := range out {
		t := float64(j) / ratio // position in input samples
		lo := max(0, int(math.Ceil(t-half)))
		hi := min(len(in)-1, int(math.Floor(t+half)))
		var sum float64
		for i := lo; i <= hi; i++ {
			sum += float64(in[i]) * kernelAt(k, (t-float64(i))*scale)
		}
		out[j] = float32(sum * scale)
	}
	return out
}

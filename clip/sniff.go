package clip

import "bytes"

// What a weights file that is neither safetensors nor a torch.save zip may be, told from
// its first bytes, so that Load can say what the file is and what to do with it rather
// than report a safetensors header that makes no sense.

// torchMagic is the number torch.save's legacy (pre-1.6) format pickles first: after the
// PROTO opcode, LONG1 (0x8a) with 10 bytes, little-endian 0x1950a86a20f9469cfc6c.
var torchMagic = []byte{0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}

// sniffLen is how many leading bytes sniff needs.
const sniffLen = 2 + 12

// sniff returns why a file with these first bytes cannot be read, or "" when it may be
// a safetensors file (which its own parser checks).
func sniff(head []byte) string {
	pickle := len(head) >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5 // PROTO 2..5
	switch {
	case pickle && bytes.HasPrefix(head[2:], torchMagic):
		return "a legacy torch.save file (PyTorch's format before 1.6: a pickle stream, not a zip archive), " +
			"which this loader does not read; re-save it with PyTorch >= 1.6 (torch.save(torch.load(f), f) " +
			"writes the zip format) or as safetensors (CLIPModel.from_pretrained(dir).save_pretrained(dir) " +
			"writes model.safetensors)"
	case pickle:
		return "a Python pickle, but not one torch.save wrote: not a model checkpoint this loader reads " +
			"(model.safetensors, or pytorch_model.bin as torch.save writes it)"
	case bytes.HasPrefix(head, []byte("\x89HDF\r\n\x1a\n")):
		return "an HDF5 file (TensorFlow/Keras weights, tf_model.h5?), not a PyTorch or safetensors checkpoint; " +
			"use the repository's model.safetensors or pytorch_model.bin"
	}
	return ""
}

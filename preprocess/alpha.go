package preprocess

// Transparency in transformers 5. Its convert_to_rgb (image_transforms.py, used by both
// image processor backends, CLIPImageProcessor and CLIPImageProcessorPil) composites an
// image that has an alpha band or a transparency key (PIL's info["transparency"]) onto
// opaque white: image.convert("RGBA"), Image.alpha_composite(white, image),
// .convert("RGB"). Transformers 4.x converted to RGB, which drops the alpha (the
// stored colour stays). Options.AlphaOnWhite selects transformers 5's rule.
//
// Which pixels it touches depends on the flow:
//   - manual (Image.open → processor): the alpha band (LA, RGBA, a palette's alpha from
//     tRNS or a GIF transparency index), else the pixels equal to the transparency
//     colour of an L or RGB image (PNG tRNS);
//   - pipeline (load_image → processor): load_image has already converted to RGB, which
//     drops an alpha band but keeps a transparency key, turned into an RGB colour (a
//     palette image's transparent index becomes that entry's colour; a tRNS byte string
//     of several alphas is deleted): the pixels of that colour become white, whatever
//     their palette index.

// onWhite is Pillow's ImagingAlphaComposite (libImaging/AlphaComposite.c) of one
// channel value c with alpha a over opaque white (255, 255, 255, 255): integer
// arithmetic with 7 extra bits of precision and rounded divisions by 255. With that
// destination the coefficients reduce to a·128 and (255 − a)·128 (outa255 = 255·255).
func onWhite(c, a uint8) uint8 {
	if a == 0 {
		return 255 // the destination pixel, copied
	}
	const precision = 7
	const dst, dstA = 255, 255
	blend := uint32(dstA) * (255 - uint32(a))
	outa255 := uint32(a)*255 + blend
	coef1 := uint32(a) * 255 * 255 * (1 << precision) / outa255
	coef2 := 255*(1<<precision) - coef1
	tmp := uint32(c)*coef1 + dst*coef2 + 0x80<<precision
	return uint8(((tmp >> 8) + tmp) >> 8 >> precision) // SHIFTFORDIV255, then the precision bits
}

// onWhiteTable is onWhite for every (alpha, value): 64 KiB, built once.
var onWhiteTable = func() (t [256][256]uint8) {
	for a := 0; a < 256; a++ {
		for c := 0; c < 256; c++ {
			t[a][c] = onWhite(uint8(c), uint8(a))
		}
	}
	return
}()

// compositeWhite composites img (in place) with per-pixel alpha (len W·H) onto white.
func compositeWhite(img RGB, alpha []uint8) {
	for i, a := range alpha {
		if a == 255 {
			continue // onWhite(c, 255) == c for every c (TestOnWhite)
		}
		t := &onWhiteTable[a]
		p := img.Pix[3*i : 3*i+3]
		p[0], p[1], p[2] = t[p[0]], t[p[1]], t[p[2]]
	}
}

// whiteKey makes every pixel of img equal to key white (in place): convert("RGBA")
// of an RGB image with a transparency colour gives those pixels alpha 0, and the
// composite then takes the white destination.
func whiteKey(img RGB, key [3]int) {
	for i := 0; i+2 < len(img.Pix); i += 3 {
		p := img.Pix[i : i+3]
		if int(p[0]) == key[0] && int(p[1]) == key[1] && int(p[2]) == key[2] {
			p[0], p[1], p[2] = 255, 255, 255
		}
	}
}

// transparency is what a decoder knows of an image's transparency, as Pillow would
// see it: alpha, the alpha band that convert("RGBA") gives (nil when the image has none
// of its own: no A band, no palette alpha); key, the transparency colour that survives
// convert("RGB") (values compared with the converted RGB samples; a component above 255
// never matches, as in Pillow); hasKey says whether there is one.
type transparency struct {
	alpha  []uint8
	key    [3]int
	hasKey bool
}

// applyAlphaOnWhite applies transformers 5's convert_to_rgb to the decoded image for
// the flow opts describes (ApplyEXIF: the pipeline's load_image ran first).
func (d *decoded) applyAlphaOnWhite(opts Options) {
	t := d.transparency
	switch {
	case opts.ApplyEXIF:
		if t.hasKey {
			whiteKey(d.rgb, t.key)
		}
	case t.alpha != nil:
		compositeWhite(d.rgb, t.alpha)
	case t.hasKey:
		whiteKey(d.rgb, t.key)
	}
}

module github.com/zeroshot-clip/zeroshot

go 1.26

require (
	github.com/stretchr/testify v1.12.1
	github.com/sugarme/gotch v0.9.1
)

require (
	github.com/emirpasic/gods v1.18.1 // indirect
	github.com/patrickmn/go-cache v2.1.0+incompatible // indirect
)

require (
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/schollz/progressbar/v2 v2.15.0 // indirect
	github.com/sugarme/regexpset v0.0.0-20200920021344-4d4ec8eaf93c // indirect
	github.com/sugarme/tokenizer v0.3.0
	go.yaml.in/yaml/v3 v3.0.5
	golang.org/x/image v0.27.0
	golang.org/x/text v0.25.0
)

"""Golden token ids for tokenize/, computed by Hugging Face's fast CLIP tokenizer.

Writes
- testdata/tokenizer/clip/: the real tokenizer files, copied byte for byte from SHARED_MODEL,
  so that the Go tests are self-contained;
- testdata/tokenizer/corpus.jsonl: a deterministic corpus (fixed seed) of > 10,000 strings,
  one JSON object per line after a first {"meta": ...} line: group, text, input_ids from
  `CLIPTokenizerFast.from_pretrained(SHARED_MODEL)` (no truncation), the decoded ids (with
  and without special tokens) and, but for the ASCII label groups, the normalizer's output;
- testdata/tokenizer/golden.json: padded batches (padding=True / "max_length", with and
  without truncation) with attention masks, decodes of arbitrary id sequences, invalid UTF-8
  inputs (hex bytes; Python gets bytes.decode("utf-8", "replace")) and the ids of the
  vocab.json + merges.txt path (the slow files converted to fast) where they differ;
- testdata/tokenizer/unicode.json: the character data compiled into the tokenizers wheel, as
  its own engines answer for every code point: Oniguruma's [\p{L}], [\p{N}] and \s (the Split
  regex) and Rust's char::to_lowercase (the Lowercase normalizer). Go's tables (Unicode 15.0)
  differ from them; tokenize's tables_unicode.go is generated from this file;
- testdata/tokenizer/codepoints.json: SHA-256 digests of the ids of one probe string per
  Unicode code point ("a" + c + c + "!", surrogates excluded), 4096 code points per block.

Run: $ORACLE_PY testdata/gen/gen_tokenizer.py (takes about a minute).
"""
import hashlib
import json
import os
import random
import shutil
import struct
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SHARED_MODEL, TESTDATA, log, meta, rel, write_json  # noqa: E402

OUT = os.path.join(TESTDATA, "tokenizer")
FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
         "vocab.json", "merges.txt")
SEED = 20240601
BLOCK = 4096

# The 80 prompt templates of OpenAI's ImageNet zero-shot evaluation.
TEMPLATES = [
    "a bad photo of a {}.", "a photo of many {}.", "a sculpture of a {}.",
    "a photo of the hard to see {}.", "a low resolution photo of the {}.", "a rendering of a {}.",
    "graffiti of a {}.", "a bad photo of the {}.", "a cropped photo of the {}.",
    "a tattoo of a {}.", "the embroidered {}.", "a photo of a hard to see {}.",
    "a bright photo of a {}.", "a photo of a clean {}.", "a photo of a dirty {}.",
    "a dark photo of the {}.", "a drawing of a {}.", "a photo of my {}.", "the plastic {}.",
    "a photo of the cool {}.", "a close-up photo of a {}.", "a black and white photo of the {}.",
    "a painting of the {}.", "a painting of a {}.", "a pixelated photo of the {}.",
    "a sculpture of the {}.", "a bright photo of the {}.", "a cropped photo of a {}.",
    "a plastic {}.", "a photo of the dirty {}.", "a jpeg corrupted photo of a {}.",
    "a blurry photo of the {}.", "a photo of the {}.", "a good photo of the {}.",
    "a rendering of the {}.", "a {} in a video game.", "a photo of one {}.", "a doodle of a {}.",
    "a close-up photo of the {}.", "a photo of a {}.", "the origami {}.",
    "the {} in a video game.", "a sketch of a {}.", "a doodle of the {}.", "a origami {}.",
    "a low resolution photo of a {}.", "the toy {}.", "a rendition of the {}.",
    "a photo of the clean {}.", "a photo of a large {}.", "a rendition of a {}.",
    "a photo of a nice {}.", "a photo of a weird {}.", "a blurry photo of a {}.",
    "a cartoon {}.", "art of a {}.", "a sketch of the {}.", "a embroidered {}.",
    "a pixelated photo of a {}.", "itap of the {}.", "a jpeg corrupted photo of the {}.",
    "a good photo of a {}.", "a plushie {}.", "a photo of the nice {}.",
    "a photo of the small {}.", "a photo of the weird {}.", "the cartoon {}.", "art of the {}.",
    "a drawing of the {}.", "a photo of the large {}.", "a black and white photo of a {}.",
    "the plushie {}.", "a dark photo of a {}.", "itap of a {}.", "graffiti of the {}.",
    "a toy {}.", "itap of my {}.", "a photo of a cool {}.", "a photo of a small {}.",
    "a tattoo of the {}.",
]

# ImageNet-1k class names as cleaned by OpenAI for CLIP (typed from that list, in order).
CLASSES = """tench|goldfish|great white shark|tiger shark|hammerhead shark|electric ray|stingray|
rooster|hen|ostrich|brambling|goldfinch|house finch|junco|indigo bunting|American robin|bulbul|
jay|magpie|chickadee|American dipper|kite (bird of prey)|bald eagle|vulture|great grey owl|
fire salamander|smooth newt|newt|spotted salamander|axolotl|American bullfrog|tree frog|
tailed frog|loggerhead sea turtle|leatherback sea turtle|mud turtle|terrapin|box turtle|
banded gecko|green iguana|Carolina anole|desert grassland whiptail lizard|agama|
frilled-necked lizard|alligator lizard|Gila monster|European green lizard|chameleon|
Komodo dragon|Nile crocodile|American alligator|triceratops|worm snake|ring-necked snake|
eastern hog-nosed snake|smooth green snake|kingsnake|garter snake|water snake|vine snake|
night snake|boa constrictor|African rock python|Indian cobra|green mamba|sea snake|
Saharan horned viper|eastern diamondback rattlesnake|sidewinder rattlesnake|trilobite|
harvestman|scorpion|yellow garden spider|barn spider|European garden spider|
southern black widow|tarantula|wolf spider|tick|centipede|black grouse|ptarmigan|ruffed grouse|
prairie grouse|peafowl|quail|partridge|african grey parrot|macaw|sulphur-crested cockatoo|
lorikeet|coucal|bee eater|hornbill|hummingbird|jacamar|toucan|duck|red-breasted merganser|
goose|black swan|tusker|echidna|platypus|wallaby|koala|wombat|jellyfish|sea anemone|brain coral|flatworm|nematode|
conch|snail|slug|sea slug|chiton|chambered nautilus|Dungeness crab|rock crab|fiddler crab|
red king crab|American lobster|spiny lobster|crayfish|hermit crab|isopod|white stork|
black stork|spoonbill|flamingo|little blue heron|great egret|bittern bird|crane bird|limpkin|
common gallinule|American coot|bustard|ruddy turnstone|dunlin|common redshank|dowitcher|
oystercatcher|pelican|king penguin|albatross|grey whale|killer whale|dugong|sea lion|Chihuahua|
Japanese Chin|Maltese|Pekingese|Shih Tzu|King Charles Spaniel|Papillon|toy terrier|
Rhodesian Ridgeback|Afghan Hound|Basset Hound|Beagle|Bloodhound|Bluetick Coonhound|
Black and Tan Coonhound|Treeing Walker Coonhound|English foxhound|Redbone Coonhound|borzoi|
Irish Wolfhound|Italian Greyhound|Whippet|Ibizan Hound|Norwegian Elkhound|Otterhound|Saluki|
Scottish Deerhound|Weimaraner|Staffordshire Bull Terrier|American Staffordshire Terrier|
Bedlington Terrier|Border Terrier|Kerry Blue Terrier|Irish Terrier|Norfolk Terrier|
Norwich Terrier|Yorkshire Terrier|Wire Fox Terrier|Lakeland Terrier|Sealyham Terrier|
Airedale Terrier|Cairn Terrier|Australian Terrier|Dandie Dinmont Terrier|Boston Terrier|
Miniature Schnauzer|Giant Schnauzer|Standard Schnauzer|Scottish Terrier|Tibetan Terrier|
Australian Silky Terrier|Soft-coated Wheaten Terrier|West Highland White Terrier|Lhasa Apso|
Flat-Coated Retriever|Curly-coated Retriever|Golden Retriever|Labrador Retriever|
Chesapeake Bay Retriever|German Shorthaired Pointer|Vizsla|English Setter|Irish Setter|
Gordon Setter|Brittany dog|Clumber Spaniel|English Springer Spaniel|Welsh Springer Spaniel|
Cocker Spaniel|Sussex Spaniel|Irish Water Spaniel|Kuvasz|Schipperke|Groenendael dog|Malinois|
Briard|Australian Kelpie|Komondor|Old English Sheepdog|Shetland Sheepdog|collie|Border Collie|
Bouvier des Flandres dog|Rottweiler|German Shepherd Dog|Dobermann|Miniature Pinscher|
Greater Swiss Mountain Dog|Bernese Mountain Dog|Appenzeller Sennenhund|Entlebucher Sennenhund|
Boxer|Bullmastiff|Tibetan Mastiff|French Bulldog|Great Dane|St. Bernard|husky|
Alaskan Malamute|Siberian Husky|Dalmatian|Affenpinscher|Basenji|pug|Leonberger|
Newfoundland dog|Great Pyrenees dog|Samoyed|Pomeranian|Chow Chow|Keeshond|brussels griffon|
Pembroke Welsh Corgi|Cardigan Welsh Corgi|Toy Poodle|Miniature Poodle|Standard Poodle|
Mexican hairless dog (xoloitzcuintli)|grey wolf|Alaskan tundra wolf|red wolf or maned wolf|
coyote|dingo|dhole|African wild dog|hyena|red fox|kit fox|Arctic fox|grey fox|tabby cat|
tiger cat|Persian cat|Siamese cat|Egyptian Mau|cougar|lynx|leopard|snow leopard|jaguar|lion|
tiger|cheetah|brown bear|American black bear|polar bear|sloth bear|mongoose|meerkat|
tiger beetle|ladybug|ground beetle|longhorn beetle|leaf beetle|dung beetle|rhinoceros beetle|
weevil|fly|bee|ant|grasshopper|cricket insect|stick insect|cockroach|praying mantis|cicada|
leafhopper|lacewing|dragonfly|damselfly|red admiral butterfly|ringlet butterfly|
monarch butterfly|small white butterfly|sulphur butterfly|gossamer-winged butterfly|starfish|
sea urchin|sea cucumber|cottontail rabbit|hare|Angora rabbit|hamster|porcupine|fox squirrel|
marmot|beaver|guinea pig|common sorrel horse|zebra|pig|wild boar|warthog|hippopotamus|ox|
water buffalo|bison|ram (adult male sheep)|bighorn sheep|Alpine ibex|hartebeest|
impala (antelope)|gazelle|arabian camel|llama|weasel|mink|European polecat|
black-footed ferret|otter|skunk|badger|armadillo|three-toed sloth|orangutan|gorilla|chimpanzee|
gibbon|siamang|guenon|patas monkey|baboon|macaque|langur|black-and-white colobus|
proboscis monkey|marmoset|white-headed capuchin|howler monkey|titi monkey|
Geoffroy's spider monkey|common squirrel monkey|ring-tailed lemur|indri|Asian elephant|
African bush elephant|red panda|giant panda|snoek fish|eel|silver salmon|rock beauty fish|
clownfish|sturgeon|gar fish|lionfish|pufferfish|abacus|abaya|academic gown|accordion|
acoustic guitar|aircraft carrier|airliner|airship|altar|ambulance|amphibious vehicle|
analog clock|apiary|apron|trash can|assault rifle|backpack|bakery|balance beam|balloon|
ballpoint pen|Band-Aid|banjo|baluster / handrail|barbell|barber chair|barbershop|barn|
barometer|barrel|wheelbarrow|baseball|basketball|bassinet|bassoon|swimming cap|bath towel|
bathtub|station wagon|lighthouse|beaker|military hat (bearskin or shako)|beer bottle|
beer glass|bell tower|baby bib|tandem bicycle|bikini|ring binder|binoculars|birdhouse|
boathouse|bobsleigh|bolo tie|poke bonnet|bookcase|bookstore|bottle cap|hunting bow|bow tie|
brass memorial plaque|bra|breakwater|breastplate|broom|bucket|buckle|bulletproof vest|
high-speed train|butcher shop|taxicab|cauldron|candle|cannon|canoe|can opener|cardigan|
car mirror|carousel|tool kit|cardboard box / carton|car wheel|automated teller machine|
cassette|cassette player|castle|catamaran|CD player|cello|mobile phone|chain|
chain-link fence|chain mail|chainsaw|storage chest|chiffonier|bell or wind chime|
china cabinet|Christmas stocking|church|movie theater|cleaver|cliff dwelling|cloak|clogs|
cocktail shaker|coffee mug|coffeemaker|spiral or coil|combination lock|computer keyboard|
candy store|container ship|convertible|corkscrew|cornet|cowboy boot|cowboy hat|cradle|
construction crane|crash helmet|crate|infant bed|Crock Pot|croquet ball|crutch|cuirass|dam|
desk|desktop computer|rotary dial telephone|diaper|digital clock|digital watch|dining table|
dishcloth|dishwasher|disc brake|dock|dog sled|dome|doormat|drilling rig|drum|drumstick|
dumbbell|Dutch oven|electric fan|electric guitar|electric locomotive|entertainment center|
envelope|espresso machine|face powder|feather boa|filing cabinet|fireboat|fire truck|
fire screen|flagpole|flute|folding chair|football helmet|forklift|fountain|fountain pen|
four-poster bed|freight car|French horn|frying pan|fur coat|garbage truck|
gas mask or respirator|gas pump|goblet|go-kart|golf ball|golf cart|gondola|gong|gown|
grand piano|greenhouse|radiator grille|grocery store|guillotine|hair clip|hair spray|
half-track|hammer|hamper|hair dryer|hand-held computer|handkerchief|hard disk drive|
harmonica|harp|combine harvester|hatchet|holster|home theater|honeycomb|hook|hoop skirt|
gymnastic horizontal bar|horse-drawn vehicle|hourglass|iPod|clothes iron|carved pumpkin|
jeans|jeep|T-shirt|jigsaw puzzle|rickshaw|joystick|kimono|knee pad|knot|lab coat|ladle|
lampshade|laptop computer|lawn mower|lens cap|letter opener|library|lifeboat|lighter|
limousine|ocean liner|lipstick|slip-on shoe|lotion|music speaker|loupe magnifying glass|
sawmill|magnetic compass|messenger bag|mailbox|tights|one-piece bathing suit|manhole cover|
maraca|marimba|mask|matchstick|maypole|maze|measuring cup|medicine cabinet|megalith|
microphone|microwave oven|military uniform|milk can|minibus|miniskirt|minivan|missile|mitten|
mixing bowl|mobile home|ford model t|modem|monastery|monitor|moped|mortar and pestle|
graduation cap|mosque|mosquito net|vespa|mountain bike|tent|computer mouse|mousetrap|
moving van|muzzle|metal nail|neck brace|necklace|baby pacifier|notebook computer|obelisk|oboe|
ocarina|odometer|oil filter|pipe organ|oscilloscope|overskirt|bullock cart|oxygen mask|
product packet / packaging|paddle|paddle wheel|padlock|paintbrush|pajamas|palace|pan flute|
paper towel|parachute|parallel bars|park bench|parking meter|railroad car|patio|payphone|
pedestal|pencil case|pencil sharpener|perfume|Petri dish|photocopier|plectrum|Pickelhaube|
picket fence|pickup truck|pier|piggy bank|pill bottle|pillow|ping-pong ball|pinwheel|
pirate ship|drink pitcher|block plane|planetarium|plastic bag|plate rack|farm plow|plunger|
Polaroid camera|pole|police van|poncho|pool table|soda bottle|plant pot|potter's wheel|
power drill|prayer rug|printer|prison|missile|projector|hockey puck|punching bag|purse|quill|
quilt|race car|racket|radiator|radio|radio telescope|rain barrel|recreational vehicle|
fishing casting reel|reflex camera|refrigerator|remote control|restaurant|revolver|rifle|
rocking chair|rotisserie|eraser|rugby ball|ruler measuring stick|sneaker|safe|safety pin|
salt shaker|sandal|sarong|saxophone|scabbard|weighing scale|school bus|schooner|scoreboard|
CRT monitor|screw|screwdriver|seat belt|sewing machine|shield|shoe store|
shoji screen / room divider|shopping basket|shopping cart|shovel|shower cap|shower curtain|
ski|balaclava ski mask|sleeping bag|slide rule|sliding door|slot machine|snorkel|snowmobile|
snowplow|soap dispenser|soccer ball|sock|solar thermal collector|sombrero|soup bowl|
keyboard space bar|space heater|space shuttle|spatula|motorboat|spider web|spindle|
sports car|spotlight|stage|steam locomotive|through arch bridge|steel drum|stethoscope|scarf|
stone wall|stopwatch|stove|strainer|tram|stretcher|couch|stupa|submarine|suit|sundial|
sunglasses|sunglasses|sunscreen|suspension bridge|mop|sweatshirt|swim trunks / shorts|swing|
electrical switch|syringe|table lamp|tank|tape player|teapot|teddy bear|television|
tennis ball|thatched roof|front curtain|thimble|threshing machine|throne|tile roof|toaster|
tobacco shop|toilet seat|torch|totem pole|tow truck|toy store|tractor|semi-trailer truck|
tray|trench coat|tricycle|trimaran|tripod|triumphal arch|trolleybus|trombone|hot tub|
turnstile|typewriter keyboard|umbrella|unicycle|upright piano|vacuum cleaner|vase|
vaulted or arched ceiling|velvet fabric|vending machine|vestment|viaduct|violin|volleyball|
waffle iron|wall clock|wallet|wardrobe|military aircraft|sink|washing machine|water bottle|
water jug|water tower|whiskey jug|whistle|hair wig|window screen|window shade|Windsor tie|
wine bottle|airplane wing|wok|wooden spoon|wool|split-rail fence|shipwreck|sailboat|yurt|
website|comic book|crossword|traffic or street sign|traffic light|dust jacket|menu|plate|
guacamole|consomme|hot pot|trifle|ice cream|popsicle|baguette|bagel|pretzel|cheeseburger|
hot dog|mashed potatoes|cabbage|broccoli|cauliflower|zucchini|spaghetti squash|acorn squash|
butternut squash|cucumber|artichoke|bell pepper|cardoon|mushroom|Granny Smith apple|
strawberry|orange|lemon|fig|pineapple|banana|jackfruit|cherimoya (custard apple)|pomegranate|
hay|carbonara|chocolate syrup|dough|meatloaf|pizza|pot pie|burrito|red wine|espresso|tea cup|
eggnog|mountain|bubble|cliff|coral reef|geyser|lakeshore|promontory|sandbar|beach|valley|
volcano|baseball player|bridegroom|scuba diver|rapeseed|daisy|yellow lady's slipper|corn|
acorn|rose hip|horse chestnut seed|coral fungus|agaric|gyromitra|stinkhorn mushroom|
earth star fungus|hen of the woods mushroom|bolete|corn cob|toilet paper"""
CLASSES = [c.strip() for c in CLASSES.replace("\n", "").split("|")]
assert len(CLASSES) == 1000, len(CLASSES)

# Hand-picked strings, by category.
HANDPICKED = {
    "known": [
        "a photo of a cat", "a photo of a dog", "This is a photo of cat.",
        "This is a photo of dog.", "Hello, World!  it's 2024", "naïve café", "a\u00a0b",
        "photographie 😀",
    ],
    "accents": [
        "café", "naïve", "Ångström", "Øresund", "São Paulo", "Zürich", "crème brûlée",
        "jalapeño", "Dvořák", "Łódź", "Kraków", "İstanbul", "straße", "STRASSE", "ΣΊΣΥΦΟΣ",
        "Ελληνικά", "ὈΔΥΣΣΕΎΣ", "Русский язык", "Україна", "Ærøskøbing", "Þórr", "Ðakovo",
        "Tiếng Việt", "Nguyễn", "Ỷ", "ǅemal", "ǄEMAL", "ǈ", "ﬁnancial", "ﬀ ﬂ ﬃ", "Çağrı",
        "ıi İI", "ΣΑΣ", "σας", "ΌΣΟΣ.", "Ω Ω K Å", "ŉ", "ǰ", "ẞ", "Ĳssel", "Ꭰ Ꭱ ꭰ", "Ა Ბ ა",
        "𐐀𐐨", "𞤀𞤢", "Ⅻ ⅻ", "Ⓐⓐ", "ǲ", "Ȿ ȿ", "ℌ ℍ", "µ μ Μ", "ſ", "ͅ", "ΐ",
    ],
    "combining": [
        "cafe\u0301", "nai\u0308ve", "A\u030angstro\u0308m", "e\u0301\u0301", "a\u0323\u0302",
        "a\u0302\u0323", "o\u0328\u0304", "u\u0308\u0301", "\u0301a", "\u0301", "\u0300\u0301",
        "Z\u0335\u0321a\u0337\u0328l\u0336g\u0334o\u0338", "q\u0307\u0323", "\u1100\u1161\u11a8",
        "\u1100\u1161", "\u110b\u1175\u11ab", "\u0915\u093c", "\u0958", "\u09a1\u09bc",
        "\u0b47\u0b3e", "\u0dd9\u0dcf", "e\u0301\u0317", "\u05e9\u05c1\u05b8", "a\u20d7",
        "x\u0338", "\u2260", "=\u0338", "\u212b", "\u2126", "\u212a", "\uf900\uf901",
        "\U0002f800", "\u0344", "\u0340", "\u0f73", "\u0f75", "\u1e9b\u0323",
    ],
    "mark_runs": [
        "a" + "\u0301" * 40 + "\u0316", "a" + "\u0316\u0301" * 20, "e" + "\u0301" * 31,
        "e" + "\u0301" * 30 + "\u0323", "o" + "\u0308" * 35 + "\u0304" + "\u0323" * 3,
        "Z" + "\u0335\u0321\u0337\u0328\u0336\u0334\u0338\u0316\u0301" * 5 + "algo",
        "\u0301" * 40, "\u1100" + "\u0301" * 33 + "\u1161", "u" + "\u0308" * 31 + "\u0301",
        "a" + "\U0001e130\u0316" * 20, "\u0915" + "\u093c" * 32 + "\u094d",
    ],
    "cjk": [
        "猫の写真", "一只猫的照片", "고양이 사진", "これはペンです。", "東京タワー", "ｶﾀｶﾅ",
        "漢字かな交じり文", "中文，标点。", "「引用」『二重』", "〜ー", "㈱ ㍿ ㌔", "𠮷野家",
        "한국어 텍스트", "ㄱㄴㄷ", "龍龍", "你好世界", "日本語の文章です", "繁體中文字",
    ],
    "rtl_indic_thai": [
        "مرحبا بالعالم", "صورة قطة", "القِطَّة", "١٢٣ ٤٥٦", "שלום עולם", "תְּמוּנָה",
        "नमस्ते दुनिया", "बिल्ली की तस्वीर", "१२३", "क़ ख़ ग़", "สวัสดีชาวโลก", "ภาพถ่ายของแมว",
        "๑๒๓", "ক্ষ বাংলা", "தமிழ்", "ગુજરાતી", "ಕನ್ನಡ", "മലയാളം", "తెలుగు", "සිංහල",
        "ພາສາລາວ", "ខ្មែរ", "မြန်မာ", "ትግርኛ", "ᏣᎳᎩ", "ᠮᠣᠩᠭᠣᠯ", "ئۇيغۇرچە", "فارسی ۱۲۳",
        "اردو", "עִבְרִית", "ܣܘܪܝܝܐ", "ދިވެހި", "ꦗꦮ",
    ],
    "emoji": [
        "😀", "😀😀😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🏴‍☠️", "🇺🇸🇫🇷🇯🇵", "🇺", "1️⃣ 2️⃣ #️⃣",
        "❤️ ❤", "☺️", "🧑🏿‍🚀", "👩‍❤️‍💋‍👨", "a 🐱 photo", "cat🐱dog🐶", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
        "✈︎ ✈️", "©️ ®️ ™️", "🫠🫡🫢", "🪿🫎", "emoji: 🙂🙃", "🤷‍♀️", "🧔🏻‍♂️",
    ],
    "spaces": [
        "", " ", "   ", "\t", "\n", "\r\n", "\t\n\x0b\x0c\r ", "\u00a0", "\u3000\u3000",
        "a\u2000b\u2001c\u2002d\u2003e", "a\u2004b\u2005c\u2006d\u2007e\u2008f\u2009g\u200ah",
        "a\u202fb\u205fc", "a\u1680b", "a\u2028b\u2029c", "a\u0085b", "a\u180eb", "a\u200bb",
        "a\ufeffb", "\ufeff", "a\u00adb", "a\u200cb\u200dc", "a\u2060b", "  leading", "trailing  ",
        "  both  ", "many     spaces     here", "tab\tseparated\tvalues", "line\nbreaks\nhere",
        "\u3000全角スペース\u3000", "x\x1cy\x1dz\x1e\x1f", "a \u00a0 \u3000 b",
    ],
    "fullwidth": [
        "ＡＢＣ", "ａｂｃ", "１２３", "ＨＥＬＬＯ，ＷＯＲＬＤ！", "！？（）［］", "ｈｔｔｐｓ：／／",
        "Ｃａｆé", "＇ｓ", "ｉｔ＇ｓ", "｡｢｣､･", "ﾊﾝｶｸ", "￥１００", "￡￠", "＜｜ｅｎｄｏｆｔｅｘｔ｜＞",
    ],
    "controls": [
        "\x00", "a\x00b", "\x01\x02\x03", "\x07bell", "\x1b[31mred\x1b[0m", "\x7f", "a\x7fb",
        "\x80\x81\x9f", "a\x85b", "\x08\x08", "\u200e\u200f", "\u202a\u202b\u202c\u202d\u202e",
        "\u2066\u2067\u2068\u2069", "\ufff9\ufffa\ufffb", "\ufffd", "\ufffe\uffff",
        "\U000e0001", "\U000f0000", "\U0010ffff", "\ue000",
    ],
    "html": [
        "&amp;", "&lt;b&gt;bold&lt;/b&gt;", "&quot;quoted&quot;", "&#39;", "&#x27;s", "&nbsp;",
        "&copy; 2024", "Tom &amp; Jerry", "&amp;amp;", "<b>bold</b>", "<a href=\"x\">link</a>",
        "&#8217;", "fish &amp; chips", "&euro;5", "AT&T", "R&D",
    ],
    "contractions": [
        "it's", "IT'S", "It'S", "iT's", "we're", "WE'RE", "they've", "THEY'VE", "I'm", "I'M",
        "you'll", "YOU'LL", "he'd", "HE'D", "don't", "DON'T", "can't", "won't", "o'clock",
        "rock 'n' roll", "it’s", "it`s", "'s", "'S", "''s", "'''", "'", "s'", "'t'", "'re're",
        "dogs' toys", "James's", "'tis", "y'all'd've", "l'amour", "'ll'll", "x'sx", "'d'",
        "!!!'s", "??'t", "'m'", "'ve", "'LL", "' s", "'é", "'1", "'𝐬",
    ],
    "numbers": [
        "0", "2024", "3.14159", "1,000,000", "-42", "+7", "1e-9", "0x1F", "½", "¼ ¾", "²³",
        "¹²³", "①②③", "Ⅻ", "٣", "१२३", "๑๒", "10%", "$100", "€99.99", "1st 2nd 3rd 4th",
        "v1.2.3", "2024-06-01", "12:30", "+1 (555) 123-4567", "007", "𝟘𝟙𝟚", "〇一二", "፩፪",
        "99 bottles", "a1b2c3", "x²+y²", "۱۲۳", "𒐫", "🄀", "⒈⒉", "⑴",
    ],
    "punctuation": [
        "!!!", "?!?!", "...", "…", "—", "–", "---", "***", "(a)", "[b]", "{c}", "@#$%^&*",
        "«»", "“quoted”", "‘single’", "¿¡", "。、", "•·", "§¶", "~`", "\\/|", "<>", "=+-_",
        "a.b.c", "end.", "what?", "wow!!!", "(((nested)))", "a--b", "a—b", "a/b", "a_b",
        ":-)", ";-(", "^_^", "¯\\_(ツ)_/¯", "※", "†‡", "©®™", "°C", "±", "×÷", "∑∫√∞",
        "→←↑↓", "♠♣♥♦", "★☆", "、。！？", "''", "\"\"", "'\"'",
    ],
    "urls": [
        "https://example.com/path?q=1&r=2#frag", "www.google.com", "user@example.org",
        "ftp://x.y/z", "http://例子.测试", "https://ja.wikipedia.org/wiki/猫",
        "https://example.com/%E7%8C%AB", "mailto:a.b+c@d.co.uk", "C:\\Program Files\\x.exe",
        "/usr/local/bin", "http://[::1]:8080/", "data:image/png;base64,iVBORw0KGgo=",
        "github.com/zeroshot-clip/zeroshot", "https://t.co/AbC123xYz",
    ],
    "special_literal": [
        "<|endoftext|>", "<|startoftext|>", "a<|endoftext|>b", "<|endoftext|><|endoftext|>",
        "<|startoftext|>a photo of a cat<|endoftext|>", "<|ENDOFTEXT|>", "<|EndOfText|>",
        "<|STARTOFTEXT|>", "<|StartOfText|>y", " <|endoftext|> ", "<|endof<|endoftext|>text|>",
        "<|endoftext", "endoftext|>", "|>", "<|", "<||>", "<|endoftext|>cat", "cat<|endoftext|>",
        "a photo of a <|endoftext|> cat", "<|endoftext|>\u0301", "e<|endoftext|>\u0301",
        "<|startoftext|>\u0301", "\u00a0<|startoftext|>\u00a0", "<|start\u00adoftext|>",
        "＜|endoftext|＞", "<|endoftext|>'s", "x<|startoftext|>'s",
    ],
    "long": [
        " ".join(["word"] * 100),
        "a photo of " + ", ".join(CLASSES[:40]),
        "pneumonoultramicroscopicsilicovolcanoconiosis",
        "a" * 300, "!" * 300, "ab" * 150, "1" * 100, "😀" * 80, "猫" * 100,
        "supercalifragilisticexpialidocious " * 10,
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
        "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
        "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.",
        "x" * 1000, "aaaa" * 64 + "b", "abcdefghijklmnopqrstuvwxyz" * 8,
    ],
}

# Invalid UTF-8 (hex): the Go tokenizer gets these bytes; Python gets
# bytes.decode("utf-8", "replace"), one U+FFFD per maximal invalid subpart.
INVALID_UTF8 = [
    "80", "ff", "c0af", "c2", "e282", "e282ac", "e28261", "f09f98", "f09f9880", "f09f9861",
    "eda080", "edbfbf", "f4908080", "f5808080", "c1bf", "e08080", "f0808080", "fe", "fffe",
    "61ff62", "636166c3", "636166c3a9", "c3a9c3", "e6978ae697", "2261e28222", "3c7c80656e647c3e",
    "3c7c656e646f66746578747c3eff", "27ff73", "e28090e280", "ffffffff", "c3b6e2",
    "f08f8080", "efbfbd", "efbfbe", "6974e28099ff73",
]

# Pools for random strings.
POOL = {
    "latin": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "accented": "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßŁłŒœŠšŽžİıĞğŞşΣσςΑαΩω",
    "combining": "\u0300\u0301\u0302\u0303\u0308\u030a\u0323\u0327\u0328\u0331\u0338\u0345\u05b8\u093c\u0e48\u20d7",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯёЁїЇ",
    "cjk": "猫犬鳥写真一二三中文日本語한국어고양이カタカナひらがな𠮷龍",
    "arabic_hebrew": "مرحبابالعالمصورةقطة١٢٣שלוםעולםתמונה\u064e\u0650",
    "indic_thai": "नमस्तेदुनिया१२३क़สวัสดีชาวโลก๑๒\u0e31\u0e49",
    "digits": "0123456789",
    "spaces": " \t\n\r\x0b\x0c\u00a0\u2000\u2003\u2009\u200a\u202f\u205f\u3000\u1680\u2028\u0085",
    "zero_width": "\u200b\u200c\u200d\ufeff\u00ad\u2060\u180e",
    "punct": "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~«»“”‘’…—–¿¡§¶†•",
    "apostrophe": "'",
    "emoji": "😀🐱🐶👍🏽🇺🇸❤️\u200d\ufe0f\u20e3🏳🌈",
    "fullwidth": "ＡＢＣａｂｃ１２３！？＇",
    "controls": "\x00\x01\x07\x1b\x7f\x80\x9f",
    "numbers": "½²³①Ⅻⅻ٣१๑",
}
# Starters, combining marks (some added after Unicode 9.0, which the tokenizers crate's NFC
# does not know), Hangul jamo, pairs that compose, excluded and decomposing characters.
NFC_POOL = ("aeoAEIuU\u0300\u0301\u0302\u0303\u0308\u030a\u0316\u0323\u0327\u0328\u0345"
            "\u05b8\u093c\u0e48\u1df6\u1ac1\u20d7\u302a\u0f71\u0f72\u0b47\u0b3e\u0cc6\u0cc2"
            "\u0cd5\u1100\u1161\u11a8\uac00\u0344\u0f73\u0f75\u0f81\u0958\u212b\u0915"
            "\U0001e130\U00011930\U00011935\U0001d15e\U0001d165\U0001d16e\u0345\u0399")
PIECES = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'RE", "<|endoftext|>",
          "<|startoftext|>", "&amp;", "http://", ".com", "  ", "...", "!!"]


def random_string(rng):
    kinds = list(POOL)
    out = []
    for _ in range(rng.randint(1, 24)):
        r = rng.random()
        if r < 0.08:
            out.append(rng.choice(PIECES))
        elif r < 0.2:
            out.append(rng.choice(CLASSES))
        else:
            pool = POOL[rng.choice(kinds)]
            out.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 4))))
    return "".join(out)


def random_codepoints(rng):
    out = []
    for _ in range(rng.randint(1, 8)):
        while True:
            c = rng.randrange(0x110000) if rng.random() < 0.5 else rng.randrange(0x3000)
            if not 0xD800 <= c < 0xE000:
                break
        out.append(chr(c))
    return "".join(out)


def random_case(rng, s):
    r = rng.random()
    if r < 0.25:
        return s.upper()
    if r < 0.5:
        return s.title()
    return "".join(c.upper() if rng.random() < 0.5 else c for c in s)


def corpus_texts():
    rng = random.Random(SEED)
    cases = []  # (group, text)
    for c in CLASSES:  # first: the 1,000 labels the benchmark encodes
        cases.append(("imagenet_photo", "a photo of a {}.".format(c)))
    for c in CLASSES:
        cases.append(("imagenet_class", c))
    for t in TEMPLATES:
        cases.append(("template_raw", t))
    for i, t in enumerate(TEMPLATES):  # every template with 10 classes
        for c in rng.sample(CLASSES, 10):
            cases.append(("template", t.format(c)))
    for _ in range(300):
        cases.append(("template_case", random_case(rng, rng.choice(TEMPLATES).format(rng.choice(CLASSES)))))
    for group, texts in HANDPICKED.items():
        for t in texts:
            cases.append((group, t))
    for group, texts in HANDPICKED.items():  # the same, in other cases and NFD
        if group in ("long",):
            continue
        for t in texts:
            cases.append((group + "_upper", t.upper()))
            cases.append((group + "_nfd", unicodedata.normalize("NFD", t)))
            cases.append((group + "_context", "a photo of " + t + " in context."))
    for _ in range(1500):
        cases.append(("random_mix", random_string(rng)))
    for _ in range(600):
        cases.append(("random_codepoints", random_codepoints(rng)))
    for _ in range(600):
        cases.append(("random_nfc", "".join(rng.choice(NFC_POOL) for _ in range(rng.randint(2, 10)))))
    # Every code point that decomposes canonically (Python's tables), decomposed:
    # NFC must recompose it (or not, for composition exclusions), Hangul sampled.
    hangul = set(range(0xAC00, 0xD7A4, 37))
    for cp in range(0x110000):
        if 0xAC00 <= cp <= 0xD7A3 and cp not in hangul:
            continue
        if 0xD800 <= cp < 0xE000:
            continue
        nfd = unicodedata.normalize("NFD", chr(cp))
        if nfd != chr(cp):
            cases.append(("nfd_sweep", "x" + nfd + "!"))
    # Every combining mark, around other marks (canonical reordering).
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000 or unicodedata.combining(chr(cp)) == 0:
            continue
        cases.append(("marks_sweep", "a" + chr(cp) + "\u0316\u0301" + chr(cp)))
    return cases


def ranges(cps):
    out = []
    for c in sorted(cps):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def unicode_data():
    """What the tokenizers wheel's Oniguruma and Rust std say about every code point."""
    from tokenizers import Regex, normalizers, pre_tokenizers
    cps = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    every = "".join(map(chr, cps))
    out = {}
    for name, pattern in (("letter", r"[\p{L}]"), ("number", r"[\p{N}]"), ("space", r"\s")):
        split = pre_tokenizers.Split(Regex(pattern), behavior="removed", invert=True)
        out[name] = ranges(ord(piece) for piece, _ in split.pre_tokenize_str(every))
    lower = normalizers.Lowercase()
    out["lower"] = [[c, lower.normalize_str(chr(c))] for c in cps
                    if lower.normalize_str(chr(c)) != chr(c)]
    return out


def tokenizer_fast(path):
    from transformers import CLIPTokenizerFast
    return CLIPTokenizerFast.from_pretrained(path)


def codepoint_blocks(tok):
    # A fresh tokenizer: a padded call leaves padding and truncation set on the backend.
    cps = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    blocks = []
    for i in range(0, len(cps), BLOCK):
        chunk = cps[i:i + BLOCK]
        encs = tok.backend_tokenizer.encode_batch(["a" + chr(c) + chr(c) + "!" for c in chunk])
        h = hashlib.sha256()
        for e in encs:
            h.update(struct.pack("<%di" % (len(e.ids) + 1), *e.ids, -1))
        blocks.append({"first": chunk[0], "last": chunk[-1], "count": len(chunk),
                       "sha256": h.hexdigest()})
    return blocks


def main():
    dst = os.path.join(OUT, "clip")
    os.makedirs(dst, exist_ok=True)
    sums = {}
    for name in FILES:
        shutil.copyfile(os.path.join(SHARED_MODEL, name), os.path.join(dst, name))
        with open(os.path.join(dst, name), "rb") as f:
            sums[name] = hashlib.sha256(f.read()).hexdigest()

    tok = tokenizer_fast(dst)
    cases = corpus_texts()
    texts = [t for _, t in cases]
    ids = tok(texts)["input_ids"]
    entries = []
    normalizer = tok.backend_tokenizer.normalizer
    for (group, text), row in zip(cases, ids):
        e = {"group": group, "text": text, "ids": row, "decoded": tok.decode(row),
             "decoded_skip": tok.decode(row, skip_special_tokens=True)}
        if not group.startswith(("imagenet", "template")):  # those are ASCII
            e["normalized"] = normalizer.normalize_str(text)
        entries.append(e)

    invalid = []
    for hx in INVALID_UTF8:
        text = bytes.fromhex(hx).decode("utf-8", "replace")
        invalid.append({"bytes_hex": hx, "text": text, "ids": tok(text)["input_ids"]})

    # The vocab.json + merges.txt path: no tokenizer.json, so transformers converts the slow
    # tokenizer and its added tokens take their flags from tokenizer_config.json.
    slow_dir = os.path.join(OUT, ".slow-files.tmp")
    shutil.rmtree(slow_dir, ignore_errors=True)
    os.makedirs(slow_dir)
    for name in FILES[1:]:
        shutil.copyfile(os.path.join(dst, name), os.path.join(slow_dir, name))
    vm = tokenizer_fast(slow_dir)
    shutil.rmtree(slow_dir)
    vm_ids = vm(texts)["input_ids"]
    vm_diff = [{"index": i, "ids": b} for i, (a, b) in enumerate(zip(ids, vm_ids)) if a != b]

    rng = random.Random(SEED + 1)
    batches = []
    labels = [t for g, t in cases if g == "imagenet_photo"]
    sets = [
        rng.sample(labels, 12),
        ["a photo of a cat", "", " ", "<|endoftext|>", "naïve café", "a photo of a dog."],
        [c for c in rng.sample(CLASSES, 8)],
    ]
    for s in sets:
        for padding in (True, "max_length"):
            enc = tok(s, padding=padding)
            batches.append({"texts": s, "padding": "longest" if padding is True else padding,
                            "truncation": False, "input_ids": enc["input_ids"],
                            "attention_mask": enc["attention_mask"]})
    longs = HANDPICKED["long"] + ["a photo of a cat", "<|endoftext|>" * 80]
    for padding in (True, "max_length"):
        enc = tok(longs, padding=padding, truncation=True)
        batches.append({"texts": longs, "padding": "longest" if padding is True else padding,
                        "truncation": True, "input_ids": enc["input_ids"],
                        "attention_mask": enc["attention_mask"]})

    decodes = []
    vocab_size = len(tok)
    for _ in range(300):
        n = rng.randint(0, 12)
        row = [rng.choice((rng.randrange(256), rng.randrange(512), rng.randrange(vocab_size),
                           vocab_size - 1, vocab_size - 2)) for _ in range(n)]
        for skip in (False, True):
            decodes.append({"ids": row, "skip_special": skip,
                            "text": tok.decode(row, skip_special_tokens=skip)})

    m = meta(tokenizer="CLIPTokenizerFast (tokenizers backend)", seed=SEED,
             files_sha256=sums, model_max_length=tok.model_max_length)
    # One case per line (compact, diff-friendly); the first line is the meta.
    with open(os.path.join(OUT, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for obj in [{"meta": m}] + entries:
            f.write(json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
            f.write("\n")
    write_json(os.path.join(OUT, "golden.json"), {
        "meta": m, "invalid_utf8": invalid, "batches": batches, "decodes": decodes,
        "vocab_merges_diff": vm_diff,
    })
    log("tokenizer: %d cases, %d invalid-utf8, %d batches, %d decodes, %d vocab+merges diffs"
        % (len(entries), len(invalid), len(batches), len(decodes), len(vm_diff)))

    u = unicode_data()
    u["meta"] = m
    u["about"] = ("letter, number, space: code point ranges [first, last] that the Split "
                  "regex's engine matches with [\\p{L}], [\\p{N}], \\s; lower: "
                  "[code point, Lowercase normalizer output] where it changes the character")
    write_json(os.path.join(OUT, "unicode.json"), u)

    write_json(os.path.join(OUT, "codepoints.json"), {
        "meta": m, "probe": "\"a\" + c + c + \"!\" for each code point c, surrogates excluded",
        "hash": "sha256 over each probe's input_ids (with specials) then -1, as int32 LE",
        "block": BLOCK, "blocks": codepoint_blocks(tokenizer_fast(dst)),
    })
    log("tokenizer: wrote", rel(os.path.join(OUT, "corpus.jsonl")),
        rel(os.path.join(OUT, "golden.json")), rel(os.path.join(OUT, "unicode.json")),
        rel(os.path.join(OUT, "codepoints.json")))


if __name__ == "__main__":
    main()

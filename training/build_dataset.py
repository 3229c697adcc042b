#!/usr/bin/python3
"""Builds the training / held-out dataset from the fetched sources (see fetch_data.sh).

Outputs (in --out, default training/work/dataset/):
  train.jsonl          one line per training image (openclipart train split + google/twitter emoji)
  holdout.jsonl        one line per held-out openclipart image (10%, by hash of the image bytes; never trained on)
  captions.txt         every unique text to embed (one per line, no empty lines): training captions, held-out
                       queries (cleaned titles) and zero-shot prompts
  captions_index.json  per training image the indices of its captions; per held-out image its query index;
                       zero-shot prompt indices; extra data: colour words with their hue angles, per training image
                       the captions of its recolourings (one per colour, none for a many-coloured image), and pairs
                       of training images to compose side by side with a caption naming both
  train_rgba.npy       uint8 N x S x S x 4, each image resized (aspect kept, bicubic) into S x S, centred, padded
                       transparent; train_box.npy int16 N x 4 (x0, y0, w, h of the content inside the square)
  train_hue.npy        float32 N: hue angle of an image drawn mostly in one hue (NaN otherwise)
  train_noflip.npy     bool N: captions mention left/right, text, letters, flags, arrows... (no horizontal flips)
  holdout_rgb.npy      uint8 M x 64 x 64 x 3: held-out images preprocessed exactly as at inference (composited onto
                       white, shortest side resized to 64 with Pillow bicubic, centre crop)
Also (unless --quick): training/eval/object-names.txt, holdout-labels.jsonl, holdout-colours.jsonl (with
colour-names.txt), holdout-colour-objects.jsonl and the held-out images
themselves (longest side <= 512 px, PNG with alpha) under training/work/holdout-images/<relative path>.

Images that claim more than 40 megapixels are never decoded at full size: their SVG is rendered at 512 px with
cairosvg (Debian python3-cairosvg) when available, else they are skipped.
"""
import argparse
import hashlib
import io
import json
import math
import os
import random
import re
import struct
import sys
from collections import Counter
from multiprocessing import Pool
from xml.etree import ElementTree as ET

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
RAW = os.path.join(HERE, 'work', 'raw')
OC = os.path.join(RAW, 'openclipart', 'usr', 'share', 'openclipart')
NPM = os.path.join(RAW, 'npm')
S = 80             # stored training resolution
EVAL_SIZE = 64     # model input
MAX_PIXELS = 40_000_000
HOLDOUT_PERCENT = 10

Image.MAX_IMAGE_PIXELS = None  # we guard by reading the PNG header ourselves

NS = {'dc': 'http://purl.org/dc/elements/1.1/', 'cc': 'http://web.resource.org/cc/',
      'rdf': 'http://www.w3.org/1999/02/22-rdf-syntax-ns#'}

BOILERPLATE = [re.compile(p, re.I) for p in [
    r'^part of the .*collection', r'^lemon svg theme$', r'^etiquette icons$', r'^gramastar$', r'^aiga_symbol_signs$',
    r'^svg gradient collection', r'^various cliparts$', r'^blueberry - iconset$', r'^gold-theme$',
    r'^plastik-icon-theme$', r'^r16 sibmission$', r'^sallite$', r'^advertising$', r'^svg road signs$',
    r'^map symbols$', r'^homes clipart$', r'^australian maps$', r'^simple arrows$', r'^untitled', r'^new document',
    r'^drawing\s*\d*$', r'^image\s*\d*$', r'^svg$', r'^clip ?art$', r'^icons?$', r'^\W*$', r'openclipart',
    r'^unnamed', r'^layer\s*\d*$', r'^none$', r'^theme$', r'^iconset$', r'^cliparts?$', r'^symbols?$']]
BAD_KEYWORDS = {'hash', 'icon', 'icons', 'theme', 'lemon_theme_icon', 'appicon', 'mapsym', 'clipart', 'clip art',
                'svg', 'png', 'image', 'media', 'inkscape', 'unsorted', 'special', 'cartoon', 'remix', 'public domain',
                'externalsource', 'sodipodi', 'drawing', 'clip', 'art', 'openclipart', 'etiquette', 'lemon',
                'signs_and_symbols', 'action', 'actions', 'mimetypes', 'mime-types', 'apps', 'application',
                'filesystems', 'devices', 'webpage'}
FNAME_STOP = {'pt', 'step', 'aiga', 'gnome', 'mime', 'ooo', 'kde', 'the', 'and', 'svg', 'png', 'img', 'icon',
              'ganson', 'nicu', 'buculei', 'mateya', 'architetto', 'franc', 'archite', 'arc', 'color', 'colour', 'bw',
              'std', 'new', 'old', 'v01', 'ver', 'version', 'final', 'by', 'of', 'md'}
NOFLIP = re.compile(r'\b(left|right|text|letters?|alphabet|numbers?|digits?|font|words?|signs?|flags?|arrows?|maps?|'
                    r'clocks?|keycap|writing|book|abc|calendar|logo|chess|card|cards|cursive|euro|dollar|yen|pound|'
                    r'symbol|symbols|keyboard|signpost|roadsigns?|icons?)\b', re.I)

# Concrete object names; those that occur in the held-out split (title, keywords or file name) become
# training/eval/object-names.txt. Plurals are matched too.
CANDIDATE_OBJECTS = """
cat dog horse cow pig sheep goat rabbit mouse rat bear lion tiger elephant giraffe zebra monkey gorilla fox wolf deer
camel kangaroo koala panda penguin owl eagle parrot duck chicken rooster hen swan bird butterfly bee spider ant fish
shark whale dolphin octopus crab frog turtle snake lizard dinosaur dragon squirrel bat snail ladybug beetle
car truck bus bicycle motorcycle train tram airplane plane helicopter rocket boat ship sailboat submarine tractor
taxi ambulance scooter tank
guitar violin piano drum trumpet saxophone flute harp accordion microphone headphones
apple banana orange lemon pear cherry strawberry grapes watermelon pineapple peach tomato carrot potato onion
pepper mushroom corn bread cheese cake pizza hamburger sandwich egg milk coffee tea wine beer bottle cup glass
cookie candy chocolate donut sausage
house church castle tower bridge lighthouse windmill skyscraper tent barn
tree flower rose tulip sunflower leaf cactus palm mushroom grass
sun moon star cloud rain snowflake lightning rainbow mountain volcano island globe earth
man woman boy girl baby child king queen soldier doctor nurse clown pirate witch angel santa knight cowboy
chef policeman firefighter skeleton skull ghost robot alien face hand eye
phone telephone computer laptop keyboard monitor printer camera television radio clock watch lamp bulb
battery key lock door window chair table bed sofa book pencil pen scissors hammer wrench saw axe screwdriver
shovel ladder bucket umbrella hat shoe glasses crown ring bag basket box gift balloon candle bell flag map
ball football basketball baseball chess dice kite sword shield gun bow arrow anchor
heart cross trophy medal coin money envelope letter mailbox calendar toothbrush scale magnet syringe pill
microscope telescope satellite compass
smiley folder balloon burger skull fly insect diamond circle square planet comet beard ear elevator stairs trash
joystick server router scorpion bison chipmunk baboon pie lightbulb boomerang fireworks nunchaku smartphone locker
tunnel brick turkey button cone wing helmet shirt dress tooth kitten antelope grasshopper dragonfly mosquito mantis
seagull pumpkin teapot calculator stapler hourglass binoculars backpack suitcase wallet lens wheel padlock
armchair radish garlic plum parcel jar sponge bowl rhinoceros armadillo moustache fairy diver skater
""".split()

# Many openclipart titles are Italian (one prolific author); a small glossary gives them English captions too.
ITALIAN = dict(w.split(':') for w in """
tasto:key cavallo:horse gatto:cat gattina:kitten gatti:cats tigre:tiger tigri:tigers rana:frog acquila:eagle
aquila:eagle orso:bear pulsante:button cigno:swan cigni:swans dinosauro:dinosaur dinosauri:dinosaurs leone:lion
legno:wood casa:house finestra:window finestre:windows cubo:cube donna:woman lucchetto:padlock lucertola:lizard
lucertolona:lizard lucertolone:lizard ramarro:lizard profilo:profile simbolo:symbol nero:black neri:black
bianco:white bianchi:white coccinella:ladybug coccinellona:ladybug farfalla:butterfly farfalle:butterflies
lumaca:snail mostriciattolo:monster zanzara:mosquito moschito:mosquito elefante:elephant verde:green
montagna:mountain mondo:world libro:book ricette:recipes cucina:kitchen italiana:italian italia:italy caffe:coffee
tazza:cup cassa:box cestino:basket grigio:grey ottone:brass frontale:front gabbiano:seagull gallo:rooster
gufo:owl civetta:owl pollo:chicken gallina:hen egizio:egyptian stormo:flock uccelli:birds uccello:bird
cavalletta:grasshopper contorno:outline formichina:ant formicona:ant insetto:insect libellula:dragonfly
mantide:mantis religiosa:praying ragno:spider antilope:antelope coniglio:rabbit pecora:sheep topo:mouse toro:bull
tramonto:sunset mobile:furniture poltrona:armchair ufficio:office sedia:chair tavolo:table abitazione:house
giardino:garden sogni:dreams giallo:yellow rosso:red schermo:screen stampante:printer foglio:sheet
salvagente:lifebuoy borsa:bag estiva:summer cesto:basket valigie:suitcases decorazione:decoration motivo:pattern
geometrico:geometric casco:helmet microfono:microphone cinepresa:movie-camera telecamera:video-camera
stagioni:seasons zucca:pumpkin lattine:cans birra:beer macchina:machine teiera:teapot bottiglia:bottle vino:wine
pregiato:fine torta:cake pera:pear pesca:peach aglio:garlic pannocchia:corn ravanello:radish appunti:notes
calcolatrice:calculator carta:paper negozio:shop pieno:full vuoto:empty diagramma:diagram fabbrica:factory
istogramma:histogram lana:wool lettera:letter pinzatrice:stapler puntine:pins tabella:table ballerina:dancer
incinta:pregnant fata:fairy fatina:fairy bambina:girl bambino:child uomo:man nonno:grandfather signore:gentleman
signorina:lady subacqueo:diver utente:user utenti:users dente:tooth camicia:shirt seta:silk pattino:skate
albero:tree mazzo:bunch fiori:flowers fiore:flower pacco:parcel regalo:gift palloncini:balloons anelli:rings
barattolo:jar pillole:pills medicina:medicine dottore:doctor siringa:syringe attenzione:warning
portafoglio:wallet binocolo:binoculars bussola:compass calamita:magnet chiave:key ferro:iron stiro:ironing
lampada:lamp mattone:brick viti:screws attaccapanni:coat-hanger vestito:dress pittura:painting pennello:brush
citta:city proiettore:projector provette:test-tubes sacco:bag pelo:sleeping campeggio:camping sapone:soap
liquido:liquid tavolozza:palette zaino:backpack notte:night palude:marsh tacchino:turkey semplice:simple
quattro:four paesaggio:landscape marino:sea canguro:kangaroo campagna:countryside pomodori:tomatoes
pomodoro:tomato prugna:plum clessidra:hourglass pattinatrice:skater asso:ace carte:cards microscopio:microscope
nucleare:nuclear livella:level secchio:bucket spugna:sponge utensile:tool bicicletta:bicycle trattore:tractor
griglia:grill orme:footprints neve:snow scodella:bowl cane:dog cani:dogs piccolo:small pinguino:penguin
ragazza:girl ragazzo:boy foglie:leaves foglia:leaf teschio:skull mela:apple pesce:fish pescetto:fish
arancione:orange arancio:orange sole:sun luna:moon stella:star nave:ship barca:boat treno:train
automobile:car chitarra:guitar violino:violin tamburo:drum pianoforte:piano formaggio:cheese pane:bread
uovo:egg uova:eggs latte:milk bicchiere:glass forchetta:fork coltello:knife cucchiaio:spoon sega:saw
martello:hammer ruota:wheel dentata:toothed lente:lens ingrandimento:magnifying nuvola:cloud pioggia:rain
orologio:clock telefono:telephone chiesa:church castello:castle ponte:bridge faro:lighthouse mucca:cow
maiale:pig capra:goat volpe:fox lupo:wolf scimmia:monkey giraffa:giraffe zebra:zebra serpente:snake
fotografica:photo digitale:digital tartaruga:turtle granchio:crab squalo:shark balena:whale delfino:dolphin
polpo:octopus ape:bee
""".split())
ITALIAN_STOP = {'di', 'e', 'in', 'con', 'per', 'a', 'al', 'da', 'della', 'dei', 'del', 'la', 'il', 'lo', 'le', 'nella',
                'sulla', 'd', 'el', 'gran', 'io', 'un', 'una', 'per'}


def translate(text):
    ws = text.split()
    if not any(w in ITALIAN for w in ws):
        return None
    out = [ITALIAN.get(w, w).replace('-', ' ') for w in ws if w not in ITALIAN_STOP]
    # Italian puts the adjective after the noun: "gatto nero" -> "black cat" for two-word titles of noun + colour
    colours = {'black', 'white', 'green', 'grey', 'yellow', 'red', 'orange'}
    if len(out) == 2 and out[1] in colours:
        out = [out[1], out[0]]
    t = ' '.join(dict.fromkeys(out))
    t = tidy(t)
    return t if t and t != text else None


# ----------------------------------------------------------------------------------------------- text utilities

def article(phrase):
    p = phrase.strip()
    low = p.lower()
    if re.match(r'^(a|an|the|some|two|three|four|five|many|several|\d+)\b', low) or low.endswith('s') and \
            not low.endswith(('ss', 'us', 'is')) and ' ' not in low:
        return p
    return ('an ' if low[:1] in 'aeiou' else 'a ') + p


def singular(word):
    w = word
    if w.endswith('ies') and len(w) > 4:
        return w[:-3] + 'y'
    if w.endswith(('sses', 'ches', 'shes', 'xes')):
        return w[:-2]
    if w.endswith('s') and not w.endswith(('ss', 'us', 'is')) and len(w) > 3:
        return w[:-1]
    return w


def words(text):
    return re.findall(r'[a-z]+', text.lower())


def tidy(text):
    t = text.replace('_', ' ').replace('\n', ' ').replace('\t', ' ')
    t = re.sub(r'\s+', ' ', t).strip(' -,.;:')
    return t.lower()


def is_boilerplate(title):
    return any(p.search(title) for p in BOILERPLATE)


def fname_phrase(rel):
    stem = os.path.splitext(os.path.basename(rel))[0]
    toks = re.split(r'[_\-\s.]+', stem.lower())
    keep = []
    for t in toks:
        t = re.sub(r'\d+$', '', t)
        if len(t) >= 3 and t.isalpha() and t not in FNAME_STOP:
            keep.append(t)
    return ' '.join(keep[:4])


def clean_title(raw, rel, counts, keywords=()):
    t = (raw or '').strip()
    t = re.sub(r'^clipart by [^-]+ - ', '', t, flags=re.I)
    t = re.sub(r'\bv?\d+(\.\d+)+\b', ' ', t)
    if is_boilerplate(t):
        t = ''
    elif counts.get((raw or '').strip(), 0) >= 10:
        # a title shared by many images is a collection name unless its words occur in the file path
        tw = [w for w in words(t) if len(w) >= 3]
        if not tw or not any(w in rel.lower() for w in tw):
            t = ''
    t = tidy(re.sub(r'(?<=[a-z])\d+\b', '', t))
    t = re.sub(r'\b\d+\b$', '', t).strip()
    if len(re.findall(r'[a-z]{3,}', t)) == 0:
        t = fname_phrase(rel)
    if not t:
        t = tidy(keywords[0]) if keywords else ''
    if not t:
        cats = category_words(rel)
        t = singular(cats[-1]) if cats else 'clipart'
    return t


def good_description(desc, title):
    d = (desc or '').strip()
    if not (3 <= len(d) <= 140) or '@' in d or 'http' in d.lower() or d.lower() == title.lower():
        return None
    if re.match(r'^(eps converted|made with|created with|part of|from at least|contact)', d, re.I):
        return None
    if sum(c.isascii() and c.isalpha() for c in d) < 0.6 * len(d):
        return None
    return tidy(d)


def clean_keywords(kws, title):
    out = []
    for k in kws:
        if not k:
            continue
        k = k.strip().lower()
        if k in BAD_KEYWORDS or re.match(r'^0x', k) or not re.search(r'[a-z]{3,}', k) or 'architetto' in k:
            continue
        k = tidy(k)
        if k and k not in out and k not in title:
            out.append(k)
    return out


def category_words(rel):
    parts = rel.split('/')[:-1]
    cats = []
    for p in parts:
        p = p.replace('-theme', '').replace('_', ' ').replace('-', ' ').strip()
        if p and p not in ('icons', 'unsorted', 'special', 'misc', 'various'):
            cats.append(p)
    return cats


# ----------------------------------------------------------------------------------------------- image utilities

def png_size(path):
    with open(path, 'rb') as f:
        h = f.read(24)
    if h[:8] != b'\x89PNG\r\n\x1a\n':
        return None
    return struct.unpack('>II', h[16:24])


def load_rgba(png_path, svg_path=None, max_side=1024):
    """Decodes guarded: huge PNGs are rendered from their SVG at 512 px (cairosvg) or skipped (None)."""
    wh = png_size(png_path)
    if wh is None:
        return None
    if wh[0] * wh[1] > MAX_PIXELS:
        if svg_path is None:
            return None
        try:
            import cairosvg
            scale = 512.0 / max(wh)
            data = cairosvg.svg2png(url=svg_path, output_width=max(1, round(wh[0] * scale)),
                                    output_height=max(1, round(wh[1] * scale)))
            im = Image.open(io.BytesIO(data))
        except Exception as e:  # no cairosvg or a bad SVG
            print(f'skip {png_path}: {wh[0]}x{wh[1]} and SVG not rendered ({type(e).__name__})', file=sys.stderr)
            return None
    else:
        im = Image.open(png_path)
    im = im.convert('RGBA')
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side), Image.BICUBIC)
    return im


def to_square(im, size=S):
    """RGBA, aspect kept, longest side = size, centred, transparent padding; returns array and content box.
    Colours are premultiplied-safe: fully transparent pixels are set to white so resampling does not bleed black."""
    arr = np.asarray(im).copy()
    arr[arr[..., 3] == 0, :3] = 255
    im = Image.fromarray(arr, 'RGBA')
    w, h = im.size
    sc = size / max(w, h)
    nw, nh = max(1, round(w * sc)), max(1, round(h * sc))
    r = im.resize((nw, nh), Image.BICUBIC)
    out = Image.new('RGBA', (size, size), (255, 255, 255, 0))
    x0, y0 = (size - nw) // 2, (size - nh) // 2
    out.paste(r, (x0, y0))
    return np.asarray(out, dtype=np.uint8), (x0, y0, nw, nh)


def inference_view(im, size=EVAL_SIZE, resize_mode='shortest', pad_max_aspect=0):
    """What the Java encoder sees: composite onto white, then with resize_mode "shortest" (a tower's) shortest side
    -> size (Pillow bicubic) and centre crop; with "pad" (the default model's since v23) pad with white to a square,
    the image at left (s - w) // 2 and top (s - h) // 2, and resize to size: the whole drawing in view, unless it is
    longer than pad_max_aspect to one (when not 0), which is cropped as with "shortest"."""
    bg = Image.new('RGBA', im.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(bg, im).convert('RGB')
    w, h = rgb.size
    if resize_mode == 'pad' and (not pad_max_aspect or max(w, h) <= pad_max_aspect * min(w, h)):
        s = max(w, h)
        square = Image.new('RGB', (s, s), (255, 255, 255))
        square.paste(rgb, ((s - w) // 2, (s - h) // 2))
        return np.asarray(square.resize((size, size), Image.BICUBIC), dtype=np.uint8)
    sc = size / min(w, h)
    nw, nh = max(size, round(w * sc)), max(size, round(h * sc))
    rgb = rgb.resize((nw, nh), Image.BICUBIC)
    l, t = int(round((nw - size) / 2.0)), int(round((nh - size) / 2.0))
    return np.asarray(rgb.crop((l, t, l + size, t + size)), dtype=np.uint8)


# ----------------------------------------------------------------------------------------------- openclipart

def read_svg_meta(svg):
    try:
        root = ET.parse(svg).getroot()
    except Exception:
        return None, None, []
    w = root.find('.//cc:Work', NS)
    if w is None:
        return None, None, []
    t = w.find('dc:title', NS)
    d = w.find('dc:description', NS)
    kws = [li.text for li in w.findall('dc:subject//rdf:li', NS)]
    return (t.text if t is not None else None), (d.text if d is not None else None), kws


def openclipart_records():
    png_root, svg_root = os.path.join(OC, 'png'), os.path.join(OC, 'svg')
    recs = []
    for root, dirs, files in os.walk(png_root):
        dirs.sort()
        for f in sorted(files):
            if not f.endswith('.png'):
                continue
            p = os.path.join(root, f)
            rel = os.path.relpath(p, png_root)
            svg = os.path.join(svg_root, rel[:-4] + '.svg')
            title, desc, kws = read_svg_meta(svg) if os.path.exists(svg) else (None, None, [])
            with open(p, 'rb') as fh:
                md5 = hashlib.md5(fh.read()).hexdigest()
            recs.append({'path': rel, 'svg': svg if os.path.exists(svg) else None, 'raw_title': title,
                         'raw_description': desc, 'raw_keywords': kws, 'md5': md5})
    counts = Counter((r['raw_title'] or '').strip() for r in recs)
    for r in recs:
        t = clean_title(r['raw_title'], r['path'], counts, clean_keywords(r['raw_keywords'], ''))
        en = translate(t)
        r['original_caption'] = t if en else None
        t = en or t
        r['caption'] = t
        r['title'] = (r['raw_title'] or '').strip()
        r['keywords'] = clean_keywords(r['raw_keywords'], t)
        r['description'] = good_description(r['raw_description'], t)
        r['category'] = '/'.join(r['path'].split('/')[:-1])
        # held out by the image bytes: identical files in two folders land in the same split
        r['holdout'] = int(r['md5'][:8], 16) % 100 < HOLDOUT_PERCENT
    return recs


def openclipart_captions(r):
    t = r['caption']
    cats = category_words(r['path'])
    top = cats[0] if cats else ''
    sub = singular(cats[-1]) if cats else ''
    caps = [t, article(t), f'a drawing of {article(t)}', f'clipart of {article(t)}', f'an illustration of {article(t)}',
            f'a picture of {article(t)}']
    if sub and sub not in t:
        caps.append(f'{t}, {sub}')
        caps.append(f'a drawing of {article(t)}, {article(sub)}')
    if sub:
        caps.append(f'{article(sub)} clipart')
    if top and top != sub:
        caps.append(f'{t} ({top})')
    kw = r['keywords'][:4]
    if kw:
        caps.append(f'{t}, {", ".join(kw[:3])}')
        caps.append(f'clipart of {article(t)}: {" ".join(kw)}')
    if r['description']:
        caps.append(r['description'])
    if r.get('original_caption'):
        caps.append(r['original_caption'])
    fp = fname_phrase(r['path'])
    if fp and fp != t:
        caps.append(fp)
    if 'computer' in cats[:1] and ('icon' in r['path'] or 'theme' in r['path']):
        caps.append(f'a computer icon of {article(t)}')
    out = []
    for c in caps:
        c = re.sub(r'\s+', ' ', c).strip()
        if c and c not in out:
            out.append(c)
    return out


# ----------------------------------------------------------------------------------------------- emoji

def emoji_records():
    em = json.load(open(os.path.join(NPM, 'emoji-datasource-google', 'emoji.json')))
    base = {}
    try:
        for e in json.load(open(os.path.join(NPM, 'emojibase-data', 'en', 'data.json'))):
            base[e['hexcode'].upper()] = e
    except FileNotFoundError:
        pass
    recs = []
    for e in sorted(em, key=lambda e: e['sort_order']):
        if e['category'] == 'Component':
            continue
        name = tidy(e.get('name') or e['short_name'])
        b = base.get(e['unified'].upper()) or base.get((e.get('non_qualified') or '').upper()) or \
            base.get(e['unified'].upper().replace('-FE0F', ''))
        label = tidy(b['label']) if b else None
        tags = [tidy(t) for t in (b.get('tags') or [])] if b else []
        shorts = [tidy(s.replace('-', ' ')) for s in e['short_names']]
        caps = [name, article(name), f'an emoji of {article(name)}', f'{name} emoji', f'a {name} icon']
        if label and label != name:
            caps += [label.replace('flag: ', 'flag of '), f'an emoji of {label}']
        if name.endswith(' flag'):
            caps += [f'flag of {name[:-5]}', f'the flag of {name[:-5]}']
        caps += [s for s in shorts if len(s) > 2]
        tg = [t for t in tags if t and t not in name and len(t) > 2 and not re.match(r'^[a-z]{2}$', t)]
        if tg:
            caps.append(f'{name}, {", ".join(tg[:4])}')
        sub = e.get('subcategory', '').replace('-', ' ')
        caps.append(f'{e["category"].lower()} emoji: {name}')
        if sub:
            caps.append(f'{sub} emoji')
        caps = list(dict.fromkeys(re.sub(r'\s+', ' ', c).strip() for c in caps if c.strip()))
        for vendor in ('google', 'twitter'):
            if not e.get(f'has_img_{vendor}'):
                continue
            p = os.path.join(NPM, f'emoji-datasource-{vendor}', 'img', vendor, '64', e['image'])
            if os.path.exists(p):
                recs.append({'source': f'emoji-{vendor}', 'path': os.path.relpath(p, NPM), 'abspath': p,
                             'title': e.get('name') or e['short_name'], 'caption': name,
                             'category': e['category'] + '/' + e.get('subcategory', ''),
                             'keywords': tags, 'captions': caps})
    return recs


# ----------------------------------------------------------------------------------------------- extra data

# Colour words and their hue angles in the chroma plane (angle of (u, v) below: red 0, yellow +60, green +120),
# measured from a typical sRGB shade of each; train.py turns hues about the grey axis by the same convention.
COLOUR_SHADES = {'red': (0.85, 0.1, 0.1), 'orange': (1.0, 0.55, 0.0), 'yellow': (1.0, 0.9, 0.1),
                 'green': (0.1, 0.65, 0.15), 'blue': (0.1, 0.35, 0.9), 'purple': (0.5, 0.1, 0.75)}
COLOUR_IN_TEXT = re.compile(r'\b(red|green|blue|yellow|orange|purple|violet|pink|brown|black|white|gr[ae]y|gold(en)?|'
                            r'silver|colou?r(s|ed|ful)?|rainbow|multicolou?red|monochrome)\b')


def chroma(rgb):
    """... x 3 floats in [0, 1] -> (u, v): the colour's offset from the grey axis, in an orthonormal plane."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return (2 * r - g - b) / math.sqrt(6), (g - b) / math.sqrt(2)


def hue_angle(rgb):
    u, v = chroma(np.asarray(rgb, dtype=np.float64))
    return float(np.arctan2(v, u))


COLOUR_ANGLES = {name: hue_angle(shade) for name, shade in COLOUR_SHADES.items()}


def names_shade(name, value):
    """Whether colour word `name` is true of a hue of mean HSV value `value`: dark orange reads as brown and dark
    yellow as olive."""
    return not (name in ('orange', 'yellow') and value < 0.7)


def dominant_hue(rgba_u8, concentration=0.8):
    """(hue angle, mean HSV value of the saturated pixels: dark orange is brown) of an image drawn mostly in one hue,
    else None: at least 35% of its opaque pixels saturated, and their hues concentrated (mean resultant length of
    their unit hue vectors at least `concentration`). Recolouring such an image to another hue and naming that colour
    is a truthful caption; a many-coloured image has no single colour to name."""
    px = rgba_u8.reshape(-1, 4).astype(np.float64) / 255.0
    px = px[px[:, 3] > 0.5, :3]
    if len(px) < 50:
        return None
    u, v = chroma(px)
    c = np.hypot(u, v)
    sat = c > 0.15
    if sat.mean() < 0.35:
        return None
    uu, vv = u[sat] / c[sat], v[sat] / c[sat]
    mu, mv = uu.mean(), vv.mean()
    if math.hypot(mu, mv) < concentration:
        return None
    return math.atan2(mv, mu), float(px[sat].max(1).mean())


# How far (degrees) a hue may lie from a colour word's for the word to name it; memory_bundle.py names the training
# images' own colours within the same distance.
COLOUR_DEGREES = 25


def colour_label(rgba_u8, max_degrees=COLOUR_DEGREES):
    """The colour word of an image drawn mostly in one hue when that hue is near one word's (evaluation labels)."""
    hv = dominant_hue(rgba_u8, concentration=0.9)   # red and yellow halves are not orange
    if hv is None:
        return None
    h, value = hv
    dist = {n: abs(math.remainder(h - a, 2 * math.pi)) for n, a in COLOUR_ANGLES.items()}
    name = min(dist, key=dist.get)
    if not names_shade(name, value):
        return None
    return name if dist[name] <= math.radians(max_degrees) else None


def write_colour_labels(hold_recs, hold_sq, hold_obj, path, both_path):
    """Evaluation of colour words (`clipsearch evaluate` reads the same format as holdout-labels.jsonl): the held-out
    images drawn mostly in one nameable hue, the colour as their only object name, no category and no query.
    And of both together (both_path): every held-out image, and a query naming colour and object ("a red ladybug")
    for each one-hued image that shows a listed object (its first), so that a search for a coloured thing is
    measured among all the others, things of that colour and other colours alike."""
    with open(path, 'w') as f, open(both_path, 'w') as both:
        for r, sq, o in zip(hold_recs, hold_sq, hold_obj):
            c = colour_label(sq)
            if c:
                f.write(json.dumps({'path': r['path'], 'title': r['title'], 'query': '', 'category': '',
                                    'objects': [f'{c} object']}) + '\n')
            query = f"{'an' if c and c[0] in 'aeiou' else 'a'} {c} {o[0]}" if c and o else ''
            both.write(json.dumps({'path': r['path'], 'title': r['title'], 'query': query, 'category': '',
                                   'objects': []}) + '\n')
    with open(os.path.join(os.path.dirname(path), 'colour-names.txt'), 'w') as f:
        f.write(''.join(f'{c} object\n' for c in COLOUR_SHADES))


def recolour_captions(r, rng):
    """One caption per colour word for an image recoloured to that colour ("a red car"), from its cleaned title."""
    t = r['caption']
    if COLOUR_IN_TEXT.search(t.lower()) or len(t) > 40:
        return None
    forms = [lambda c: article(f'{c} {t}'), lambda c: f'{c} {t}', lambda c: f'a drawing of {article(f"{c} {t}")}',
             lambda c: f'{article(f"{c} {t}")}, clipart']
    return [rng.choice(forms)(c) for c in COLOUR_SHADES]


def composite_captions(recs, rng, per_image=2, per_title=3):
    """Pairs of training images to be drawn side by side (train.py composes them) and a caption naming both.

    Only pictures of things take part: emoji, and openclipart images whose short title uses only words that emoji
    names use ("truck", "down arrow", "watermelon"). A caption naming two noisy titles ("a plastik and a squared
    ng") teaches nothing. At most per_title images share a title, or "star" (1,247 images) fills the pairs."""
    vocab = {singular(w) for r in recs if r['source'] != 'openclipart' for w in words(r['caption'])}
    per = Counter()
    pool = []
    for i, r in enumerate(recs):
        t = r['caption']
        if len(t) > 30 or r['source'] == 'openclipart' and not all(singular(w) in vocab for w in words(t)):
            continue
        per[t] += 1
        if per[t] <= per_title:
            pool.append(i)
    forms = [lambda a, b: f'{article(a)} and {article(b)}', lambda a, b: f'a drawing of {article(a)} and {article(b)}',
             lambda a, b: f'{article(a)} next to {article(b)}', lambda a, b: f'{a} and {b}']
    pairs = []
    for i in pool:
        for _ in range(per_image):
            j = rng.choice(pool)
            if j != i and recs[j]['caption'] != recs[i]['caption']:
                pairs.append((i, j, rng.choice(forms)(recs[i]['caption'], recs[j]['caption'])))
    return pairs


# ----------------------------------------------------------------------------------------------- workers

def work_train(args):
    path, svg = args
    im = load_rgba(path, svg)
    if im is None:
        return None
    return to_square(im)


def work_holdout(args):
    path, svg, dest = args
    im = load_rgba(path, svg, max_side=512)
    if im is None:
        return None
    if dest:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        im.save(dest, optimize=False)
    return inference_view(im), to_square(im)


# ----------------------------------------------------------------------------------------------- object labels

def object_matches(r, names):
    """Object names in the title (cleaned, translated or original) or file name; a keyword counts only when it is
    exactly the name (or its plural) and not merely the image's folder (every icon has the keyword "computer")."""
    text = ' '.join([r['caption'], r.get('original_caption') or '', fname_phrase(r['path'])]).lower()
    ws = set(words(text))
    folders = {w for p in r['path'].split('/')[:-1] for w in words(p)}
    kws = {k for k in r['keywords'] if k not in folders and singular(k) not in folders}
    found = []
    for n in names:
        forms = {n, n + 's', n + 'es'} | ({n[:-1] + 'ies'} if n.endswith('y') else set())
        if ' ' in n:
            hit = re.search(r'\b' + re.escape(n) + r's?\b', text) is not None
        else:
            hit = bool(forms & ws)
        if hit or forms & kws:
            found.append(n)
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(HERE, 'work', 'dataset'))
    ap.add_argument('--quick', action='store_true', help='tiny subset for smoke tests (no eval files written)')
    ap.add_argument('--workers', type=int, default=2)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    oc = openclipart_records()
    em = emoji_records()
    train_oc = [r for r in oc if not r['holdout']]
    hold = [r for r in oc if r['holdout']]
    if a.quick:
        train_oc, hold, em = train_oc[::12], hold[::8], em[::10]
    print(f'openclipart: {len(oc)} images, {len(train_oc)} train, {len(hold)} held out; emoji: {len(em)}', flush=True)

    # ---- images
    with Pool(a.workers) as pool:
        tr_imgs = pool.map(work_train, [(os.path.join(OC, 'png', r['path']), r['svg']) for r in train_oc]
                           + [(r['abspath'], None) for r in em], chunksize=16)
        hdir = None if a.quick else os.path.join(HERE, 'work', 'holdout-images')
        ho_imgs = pool.map(work_holdout, [(os.path.join(OC, 'png', r['path']), r['svg'],
                                           os.path.join(hdir, r['path']) if hdir else None) for r in hold],
                           chunksize=8)

    train_recs, arrs, boxes = [], [], []
    for r, res in zip([dict(r, source='openclipart') for r in train_oc] + em, tr_imgs):
        if res is None:
            continue
        if r['source'] == 'openclipart':
            r['captions'] = openclipart_captions(r)
        train_recs.append(r)
        arrs.append(res[0])
        boxes.append(res[1])
    hold_recs, hold_arr, hold_sq, hold_box = [], [], [], []
    for r, res in zip(hold, ho_imgs):
        if res is None:
            continue
        hold_recs.append(r)
        hold_arr.append(res[0])
        hold_sq.append(res[1][0])
        hold_box.append(res[1][1])

    # ---- object names and labels (from the held-out split)
    if not a.quick:
        cands = list(dict.fromkeys(CANDIDATE_OBJECTS))
        cnt = Counter(n for r in hold_recs for n in object_matches(r, cands))
        names = [n for n in cands if cnt[n] >= 1]
        os.makedirs(os.path.join(HERE, 'eval'), exist_ok=True)
        with open(os.path.join(HERE, 'eval', 'object-names.txt'), 'w') as f:
            f.write(''.join(n + '\n' for n in names))
        print(f'object names occurring in held-out data: {len(names)}', flush=True)
    else:
        names = [l.strip() for l in open(os.path.join(HERE, 'eval', 'object-names.txt'))] \
            if os.path.exists(os.path.join(HERE, 'eval', 'object-names.txt')) else ['cat', 'dog', 'car', 'apple']
    tops = sorted({r['path'].split('/')[0] for r in oc})

    # ---- captions
    texts, index = [], {}

    def tid(t):
        t = re.sub(r'\s+', ' ', t).strip()
        assert t, 'empty text'
        if t not in index:
            index[t] = len(texts)
            texts.append(t)
        return index[t]

    train_caps = [[tid(c) for c in r['captions']] for r in train_recs]
    hold_q = [tid(r['caption']) for r in hold_recs]
    obj_prompts = [tid(f'a drawing of {article(n)}') for n in names]
    cat_prompts = [tid(f'a drawing of {tidy(c)}') for c in tops]
    # Extra data for train.py's --recolour-prob and --composite-prob: its texts come after all the texts above, so
    # that runs without it see the same caption indices (and the same random stream) as before.
    rng = random.Random(20261128)
    hues = [dominant_hue(x) for x in arrs]   # (angle, value) or None
    recolour = []
    for r, h in zip(train_recs, hues):
        caps = recolour_captions(r, rng) if h is not None else None
        # A hue turn keeps the intensity, so a dark image turned orange or yellow comes out brown or olive: no such
        # caption (-1: train.py never draws it); its text stays so that caption indices do not move.
        ids = [tid(c) for c in caps] if caps else []
        recolour.append([t if names_shade(n, h[1]) else -1 for n, t in zip(COLOUR_SHADES, ids)])
    pairs = [(i, j, tid(c)) for i, j, c in composite_captions(train_recs, rng)]
    print(f'recolourable images: {sum(1 for c in recolour if c)}; composite pairs: {len(pairs)}', flush=True)
    cap_text = ''.join(t + '\n' for t in texts)
    cap_path = os.path.join(a.out, 'captions.txt')
    if not os.path.exists(cap_path) or open(cap_path, encoding='utf-8').read() != cap_text:
        with open(cap_path, 'w', encoding='utf-8') as f:   # rewritten only when changed (train.sh re-embeds then)
            f.write(cap_text)
    with open(os.path.join(a.out, 'captions_index.json'), 'w') as f:
        json.dump({'train': train_caps, 'holdout_query': hold_q, 'object_names': names,
                   'object_prompts': obj_prompts, 'categories': tops, 'category_prompts': cat_prompts,
                   'colours': [{'name': n, 'angle': a} for n, a in COLOUR_ANGLES.items()],
                   'recolour': recolour, 'composites': pairs}, f)
    np.save(os.path.join(a.out, 'train_hue.npy'), np.array([np.nan if h is None else h[0] for h in hues], np.float32))

    # ---- labels for evaluation
    hold_obj = [object_matches(r, names) for r in hold_recs]
    hold_cat = [r['path'].split('/')[0] for r in hold_recs]
    np.save(os.path.join(a.out, 'holdout_labels.npy'), np.array(
        [[n in o for n in names] for o in hold_obj], dtype=bool).reshape(len(hold_recs), len(names)))
    np.save(os.path.join(a.out, 'holdout_cat.npy'), np.array([tops.index(c) for c in hold_cat], dtype=np.int16))
    if not a.quick:
        with open(os.path.join(HERE, 'eval', 'holdout-labels.jsonl'), 'w') as f:
            for r, o, c in zip(hold_recs, hold_obj, hold_cat):
                f.write(json.dumps({'path': r['path'], 'title': r['title'], 'query': r['caption'], 'category': c,
                                    'objects': o}) + '\n')
        write_colour_labels(hold_recs, hold_sq, hold_obj, os.path.join(HERE, 'eval', 'holdout-colours.jsonl'),
                            os.path.join(HERE, 'eval', 'holdout-colour-objects.jsonl'))

    # ---- metadata
    def dump(path, recs, extra):
        with open(path, 'w') as f:
            for r in recs:
                d = {'source': r.get('source', 'openclipart'), 'path': r['path'], 'title': r['title'],
                     'caption': r['caption'], 'category': r['category'], 'keywords': r['keywords']}
                d.update(extra(r))
                f.write(json.dumps(d) + '\n')
    dump(os.path.join(a.out, 'train.jsonl'), train_recs, lambda r: {'captions': r['captions']})
    dump(os.path.join(a.out, 'holdout.jsonl'), hold_recs, lambda r: {'description': r['description']})

    np.save(os.path.join(a.out, 'train_rgba.npy'), np.stack(arrs))
    np.save(os.path.join(a.out, 'train_box.npy'), np.array(boxes, dtype=np.int16))
    np.save(os.path.join(a.out, 'train_noflip.npy'), np.array(
        [bool(NOFLIP.search(' '.join(r['captions'] + [r['category']]))) for r in train_recs]))
    np.save(os.path.join(a.out, 'holdout_rgb.npy'), np.stack(hold_arr))
    np.save(os.path.join(a.out, 'holdout_rgba.npy'), np.stack(hold_sq))
    print(f'dataset: {len(train_recs)} training images ({sum(r["source"] == "openclipart" for r in train_recs)} '
          f'openclipart), {len(hold_recs)} held out, {len(texts)} texts -> {a.out}', flush=True)


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Seeded generator of simple children's stories (the built-in model's training corpus).

Everything here is written for this project (MIT, like the repository): word lists, templates and the
story grammar. No external text is used, so the trained weights carry no third-party license.

A story is a short plot: an opening that introduces a hero (name, kind, trait) in a place, one of a
dozen problems (a lost toy, something out of reach, fear, a broken thing, a rainy day, sharing, ...),
feelings with their causes, dialogue, an attempt, help from a friend or a parent, a resolution and a
closing line or moral. Each beat has several interchangeable templates, and slots are filled from
word lists with agreement (a/an, he/she, his/her, past tense).

Usage: generate_corpus.py --seed 1234 --stories 30000 --out training/data/corpus.txt
Stories are separated by one blank line ("\n\n"); train.py splits on it.
"""
import argparse
import random

# ----------------------------------------------------------------------------- word lists

GIRLS = """Abby Beth Cora Dina Elsa Gina Hope Isla June Kim Lara Megan Nell Piper Quinn Sadie Tess Violet Willow Lily Mia Emma Ava Sophie Lucy Zoe Ella Grace Chloe Anna Maya Ruby Rosa Nora Lena Hannah Sara
Amy Julia Kate Clara Ivy Daisy Molly Alice Nina Olivia Leah Bella Stella Hazel Luna Iris Jenny Tina Mila
Eva Fiona Holly Jade Kira Lila Maria Nadia Paula Rita Sofia Tara Uma Vera Wendy Yara Zara Poppy Rose""".split()
BOYS = """Aaron Brian Cody Dylan Evan Frank George Ian Jason Kyle Mason Nathan Peter Riley Simon Tyler Wyatt Tom Ben Max Sam Leo Jack Tim Noah Liam Finn Oscar Jake Luke Owen Ryan Adam Eli Dan Hugo Ivan
Milo Nick Omar Paul Theo Kai Alex Ethan Henry Oliver Jamie Toby Felix Arlo Billy Carlos Dev Ezra Gus
Harry Joe Kevin Louis Marco Ned Otto Pete Raj Sid Ted Victor Will Zack Bobby Charlie Danny""".split()
# animal heroes: (kind, gender or None) - named pets and creatures
ANIMAL_KINDS = """dog puppy cat kitten bunny bear cub fox bird duck frog mouse owl pig lamb goat horse pony
squirrel hedgehog turtle lion tiger monkey elephant giraffe penguin seal whale dolphin dragon robot
chick hen cow deer raccoon beaver otter koala panda zebra""".split()
ANIMAL_NAMES = """Pip Bo Dot Fluffy Spot Sunny Buddy Coco Momo Nibbles Pepper Biscuit Peanut Bubbles Ziggy Rusty
Oreo Tiny Patch Sprout Button Muffin Pudding Bean Noodle Ginger Cookie Socks Maple Pebble Twig Wiggles
Honey Snowy Puff Hoot Squeak Flip Splash Rocky""".split()
TRAITS = """little small young tiny brave curious kind shy happy clever funny gentle busy cheerful playful
friendly quiet silly smart sweet careful helpful bold""".split()
PARENTS = [('Mom', 'she', 'her', 'her'), ('Dad', 'he', 'him', 'his'), ('Grandma', 'she', 'her', 'her'),
           ('Grandpa', 'he', 'him', 'his'), ('the teacher', 'she', 'her', 'her'), ('Aunt May', 'she', 'her', 'her'),
           ('Uncle Bob', 'he', 'him', 'his')]

# places: (name with article, preposition, [things there], [activities there])
PLACES = [
    ('the park', 'in', ['swings', 'a slide', 'a big tree', 'a pond', 'green grass', 'a bench'], ['play on the swings', 'run on the grass', 'slide down the slide', 'feed the ducks']),
    ('the forest', 'in', ['tall trees', 'a small path', 'mushrooms', 'a river', 'leaves', 'a log'], ['look for mushrooms', 'walk on the path', 'listen to the birds', 'climb over logs']),
    ('the beach', 'at', ['soft sand', 'big waves', 'shells', 'a red boat', 'rocks', 'crabs'], ['build a sandcastle', 'look for shells', 'swim in the sea', 'dig in the sand']),
    ('the garden', 'in', ['pretty flowers', 'a vegetable patch', 'a little fence', 'bees', 'a watering can', 'worms'], ['water the flowers', 'pick carrots', 'dig in the dirt', 'watch the bees']),
    ('school', 'at', ['a big classroom', 'crayons', 'books', 'a playground', 'tables', 'a blackboard'], ['draw pictures', 'read books', 'sing songs', 'play tag']),
    ('the farm', 'on', ['cows', 'a red barn', 'hay', 'chickens', 'a tractor', 'pigs'], ['feed the chickens', 'ride the tractor', 'jump in the hay', 'pick apples']),
    ('the lake', 'at', ['blue water', 'a wooden dock', 'fish', 'ducks', 'a little boat', 'reeds'], ['go fishing', 'row the boat', 'throw stones', 'watch the fish']),
    ('the hill', 'on', ['a windy top', 'wild flowers', 'a big rock', 'soft grass', 'sheep', 'a view of the town'], ['fly a kite', 'roll down the grass', 'pick flowers', 'look at the clouds']),
    ('the kitchen', 'in', ['a warm oven', 'a big table', 'cookies', 'pots and pans', 'a bowl of fruit', 'a jar of honey'], ['bake a cake', 'make soup', 'help with dinner', 'mix the dough']),
    ('the zoo', 'at', ['lions', 'monkeys', 'a tall giraffe', 'penguins', 'a snack stand', 'a big map'], ['see the animals', 'watch the monkeys', 'eat ice cream', 'visit the penguins']),
    ('the library', 'at', ['many books', 'soft chairs', 'a quiet corner', 'picture books', 'a big desk', 'a globe'], ['read a story', 'find a new book', 'look at pictures', 'listen to a story']),
    ('the town', 'in', ['little shops', 'a bakery', 'a fountain', 'busy streets', 'a toy store', 'a market'], ['buy bread', 'visit the market', 'look in the shops', 'see the fountain']),
    ('the backyard', 'in', ['a sandbox', 'a tree house', 'a swing', 'a small pool', 'a fence', 'a dog house'], ['play in the sandbox', 'climb the tree house', 'splash in the pool', 'play ball']),
    ('the meadow', 'in', ['tall grass', 'butterflies', 'daisies', 'a little stream', 'rabbits', 'a picnic blanket'], ['chase butterflies', 'have a picnic', 'pick daisies', 'jump over the stream']),
    ('the river', 'by', ['cool water', 'smooth stones', 'a wooden bridge', 'frogs', 'fish', 'a boat'], ['skip stones', 'watch the frogs', 'cross the bridge', 'dip their toes']),
    ('the snowy hill', 'on', ['white snow', 'a sled', 'snowmen', 'icicles', 'a frozen pond', 'pine trees'], ['ride a sled', 'build a snowman', 'throw snowballs', 'make snow angels']),
    ('the playground', 'at', ['a slide', 'monkey bars', 'a seesaw', 'a sandbox', 'swings', 'a climbing wall'], ['go down the slide', 'swing on the swings', 'play on the seesaw', 'climb the wall']),
    ('the pond', 'by', ['lily pads', 'frogs', 'ducks', 'tall reeds', 'a little bridge', 'fish'], ['feed the ducks', 'watch the frogs', 'look for fish', 'sail a paper boat']),
    ('the jungle', 'in', ['big leaves', 'vines', 'colorful birds', 'a waterfall', 'monkeys', 'tall trees'], ['swing on vines', 'find the waterfall', 'look at the birds', 'explore']),
    ('the castle', 'in', ['tall towers', 'a big door', 'a long hall', 'a throne', 'old stairs', 'a garden'], ['explore the towers', 'play knights', 'look for treasure', 'climb the stairs']),
    ('the house', 'in', ['a cozy room', 'a soft bed', 'a toy box', 'a big window', 'a warm fire', 'stairs'], ['play with toys', 'build a fort', 'read books', 'play hide and seek']),
    ('the city', 'in', ['tall buildings', 'busy cars', 'a big bus', 'a park', 'bright lights', 'a train'], ['ride the bus', 'see the lights', 'visit the museum', 'ride the train']),
    ('the cave', 'in', ['dark corners', 'shiny rocks', 'bats', 'a cold pool', 'echoes', 'crystals'], ['look for crystals', 'make echoes', 'explore with a light', 'find shiny rocks']),
    ('the sea', 'by', ['big waves', 'a lighthouse', 'boats', 'seagulls', 'fish', 'a sandy shore'], ['watch the boats', 'look for fish', 'wave at the seagulls', 'walk on the shore']),
    ('the bakery', 'at', ['fresh bread', 'warm buns', 'cupcakes', 'a big oven', 'pies', 'cookies'], ['smell the bread', 'buy a cupcake', 'watch the baker', 'share a pie']),
    ('the field', 'in', ['corn', 'sunflowers', 'a scarecrow', 'a path', 'crows', 'a fence'], ['run through the corn', 'look at the sunflowers', 'chase the crows', 'play tag']),
]

TOYS = """ball kite doll teddy bear toy car red ball blue ball toy train puzzle robot toy boat yo-yo
drum hat scarf book crayon balloon wagon shovel bucket marble whistle top jump rope sticker
necklace ring bell flag spoon cup shell feather pinecone toy duck bike""".split(' ')
TOYS = [t for t in """ball|kite|doll|teddy bear|toy car|toy train|puzzle|robot|toy boat|yo-yo|drum|hat|scarf|book|crayon|balloon
|wagon|shovel|bucket|marble|whistle|spinning top|jump rope|sticker|necklace|ring|bell|flag|cup|shell|feather
|pinecone|toy duck|bike|rock|star|blanket|backpack|umbrella|crown|map|key|flower|box|basket""".replace('\n', '').split('|')]
COLORS = """red blue green yellow orange purple pink white black brown gold silver shiny striped spotted""".split()
SIZES = """big small little tiny huge round soft new old special""".split()
FOODS = """apple banana cookie cake sandwich carrot cupcake pie muffin pear orange plum grape berry peach
candy ice cream pancake soup bread cheese honey jam pizza cherry melon nut""".split()
FOODS = 'apple|banana|cookie|cake|sandwich|carrot|cupcake|pie|muffin|pear|orange|plum|bunch of grapes|strawberry|peach|candy|bowl of soup|piece of bread|piece of cheese|pancake|slice of pizza|cherry|slice of melon|nut|bun|lollipop'.split('|')
FEEL_GOOD = """happy glad excited proud calm cheerful thankful joyful pleased delighted""".split()
FEEL_BAD = """sad scared worried upset angry lonely tired grumpy nervous sorry""".split()
WEATHER = ['sunny', 'rainy', 'windy', 'snowy', 'cloudy', 'warm', 'cold', 'bright', 'foggy', 'quiet']
TIMES = ['morning', 'day', 'afternoon', 'evening', 'night']
DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']
SOUNDS = ['a loud noise', 'a soft sound', 'a funny noise', 'a little cry', 'a strange sound', 'a happy song', 'a big splash', 'a quiet buzz']
ANIMALS_SMALL = ['bird', 'kitten', 'puppy', 'duckling', 'bunny', 'squirrel', 'frog', 'mouse', 'hedgehog', 'turtle', 'butterfly', 'ladybug', 'snail', 'chick', 'lamb', 'fox cub', 'owl']
HIGH_PLACES = ['on a high shelf', 'in a tall tree', 'on top of the roof', 'on the top of the fence', 'on a high branch', 'on top of the cupboard', 'on a big rock', 'on the top shelf']
HIDE_PLACES = ['under the bed', 'behind the door', 'under a bush', 'in the tall grass', 'behind a tree', 'under the table', 'inside a box', 'under the leaves', 'near the fence', 'in the sand', 'under the slide', 'behind the couch']
SCARY = ['the dark', 'thunder', 'the big dog', 'the deep water', 'the loud storm', 'bees', 'the tall slide', 'the shadows', 'the big waves', 'spiders', 'the old stairs', 'the wind']
SKILLS = [('ride a bike', 'rode the bike'), ('swim', 'swam'), ('read a book', 'read the whole book'), ('tie shoes', 'tied the shoes'),
          ('whistle', 'whistled a tune'), ('skip rope', 'skipped rope'), ('climb the tree', 'climbed the tree'), ('jump high', 'jumped very high'),
          ('draw a horse', 'drew a horse'), ('bake bread', 'baked bread'), ('fly a kite', 'flew the kite'), ('count to one hundred', 'counted to one hundred'),
          ('play the drum', 'played the drum'), ('skate', 'skated on the ice'), ('sing a song', 'sang a song'), ('write a letter', 'wrote a letter')]
MAKE_THINGS = [('a cake', 'flour, eggs and sugar'), ('a sandcastle', 'sand and water'), ('a card', 'paper and crayons'), ('a snowman', 'snow and a carrot'),
               ('a fort', 'boxes and blankets'), ('a birdhouse', 'wood and nails'), ('a necklace', 'beads and string'), ('a boat', 'paper and tape'),
               ('a painting', 'paint and a brush'), ('a hat', 'paper and glue'), ('a pie', 'apples and dough'), ('a kite', 'sticks and paper'),
               ('a tower', 'blocks'), ('a garden', 'seeds and water'), ('a puppet', 'a sock and buttons'), ('a crown', 'gold paper and stars')]
ADVERBS = ['slowly', 'quickly', 'carefully', 'gently', 'happily', 'quietly', 'loudly', 'softly', 'bravely', 'proudly']
SAY = ['said', 'said', 'said', 'asked', 'shouted', 'whispered', 'cried', 'called', 'laughed', 'replied']
MORALS = ['sharing makes everyone happy', 'it is good to help others', 'friends make hard things easy', 'being brave is not the same as not being scared',
          'it is okay to ask for help', 'trying again is how we learn', 'being kind is always a good idea', 'a good friend is a great treasure',
          'patience pays off', 'telling the truth is important', 'working together makes things better', 'little things can make a big difference',
          'everyone is good at something', 'it is fun to try new things', 'saying sorry can fix a lot', 'home is where the people you love are']


def a_an(phrase):
    return ('an ' if phrase[0] in 'aeiou' else 'a ') + phrase


def cap(s):
    return s[0].upper() + s[1:]


class Who:
    """A character: name, kind, pronouns. `ref` is how the narrator first introduces it."""

    def __init__(self, r, avoid=(), human=None, gender=None):
        self.human = r.random() < 0.7 if human is None else human
        g = gender or r.choice(['f', 'm'])
        while True:
            if self.human:
                self.name = r.choice(GIRLS if g == 'f' else BOYS)
                self.kind = ('girl' if g == 'f' else 'boy')
            else:
                self.name = r.choice(ANIMAL_NAMES)
                self.kind = r.choice(ANIMAL_KINDS)
            if self.name not in avoid:
                break
        self.g = g
        self.he, self.him, self.his = ('she', 'her', 'her') if g == 'f' else ('he', 'him', 'his')
        self.trait = r.choice(TRAITS)


# ----------------------------------------------------------------------------- story beats
# Each beat is a list of templates; {h} is the hero's name, {he}/{him}/{his} pronouns ({He} capitalised),
# {f} the friend, {fhe}/{fhim}/{fhis}, {p} the parent, {place}, {at} ("in the park"), {obj}, ...


OPENINGS = [
    'Once upon a time, there was {a_trait_kind} named {h}.',
    'Once upon a time, {a_trait_kind} named {h} lived near {place}.',
    'There once was {a_trait_kind} called {h}.',
    '{h} was {a_trait_kind} who loved {activity_ing}.',
    'One {weather} {time}, {a_trait_kind} named {h} went to {place}.',
    'In a little house near {place}, there lived {a_trait_kind} named {h}.',
    'Once there was {a_trait_kind}. {His} name was {h}.',
    '{h} was a {trait} {kind}. Every day, {he} liked to go to {place}.',
    'Long ago, {a_trait_kind} named {h} had a {color} {obj}.',
    'It was a {weather} {time}. {h} the {kind} woke up and smiled.',
    'On {day}, {h} and {his} friend {f} went to {place}.',
    '{h} had a best friend named {f}. They liked to {activity} together.',
]
SETTING = [
    '{At} there were {thing1} and {thing2}.',
    '{h} liked {place} because there were {thing1}.',
    'The sun was shining and the birds were singing.',
    '{He} wanted to {activity}.',
    '{h} loved to {activity} with {his} friends.',
    '{His} favorite thing was {a_color_obj}.',
    'The sky was blue and the air was {weather}.',
    '{h} was very {good} that day.',
    '{At}, {h} saw {thing1}.',
    '{He} had {a_color_obj} that {he} took everywhere.',
    '"I love {place}!" {h} {said}.',
    '{h} ran to {place} as fast as {he} could.',
]

# plots: each is a dict of beat -> templates. Extra slots are set by the plot's setup function.
PLOTS = {
    'lost': {
        'problem': [
            'One day, {h} could not find {his} {obj}.',
            '{h} looked for {his} {obj}, but it was gone.',
            'Oh no! {His} {color} {obj} was lost.',
            'When {h} came home, {his} {obj} was not in {his} bag.',
        ],
        'feel': [
            '{h} felt {bad} because {he} loved {his} {obj} very much.',
            '{h} was {bad}. {He} started to cry.',
            '"Where is my {obj}?" {h} {said}. {He} was very {bad}.',
            '{He} sat down and felt {bad}.',
        ],
        'try': [
            '{He} looked {hide1} and {hide2}, but {he} did not find it.',
            '{h} searched {hide1}. It was not there.',
            '{He} asked {f}, "Have you seen my {obj}?" {f} said, "No, but I will help you look."',
            '{h} and {f} looked {hide1} together.',
        ],
        'help': [
            'Then {f} saw something {color} {hide2}. It was the {obj}!',
            'Then {h} heard {sound}. {He} looked {hide2} and found {his} {obj}!',
            '{p} came and said, "Did you look {hide2}?" {h} looked, and there it was!',
            'At last, {f} {said}, "Look, {h}! Your {obj} is {hide2}!"',
        ],
        'end': [
            '{h} hugged {his} {obj}. "Thank you, {f}!" {he} {said}. {He} was {good} again.',
            '{h} was so {good}. {He} held {his} {obj} tight and smiled.',
            'From that day on, {h} kept {his} {obj} in a safe place.',
            '{h} and {f} played with the {obj} all day long.',
        ],
    },
    'high': {
        'problem': [
            '{h} saw {a_color_obj} {high}. {He} wanted it, but it was too high.',
            '{His} {obj} was stuck {high}.',
            'The wind blew {his} {obj} away. It landed {high}.',
            '{h} threw {his} {obj} up, and it got stuck {high}.',
        ],
        'feel': [
            '{h} jumped and jumped, but {he} could not reach it. {He} felt {bad}.',
            '{h} was {bad} because {he} was too small.',
            '"I can not reach it," {h} {said}. {He} was {bad}.',
            '{h} stretched {his} arms, but it was no use.',
        ],
        'try': [
            '{He} tried to climb, but {he} slipped and fell on the grass.',
            '{He} got a stick and tried to knock it down, but the stick was too short.',
            '{h} stood on a box, but it was still too high.',
            '{He} called to {f}, "Can you help me?"',
        ],
        'help': [
            '{f} was tall. {Fhe} reached up and got the {obj}.',
            '{f} had an idea. "Stand on my back," {fhe} {said}. Then {h} could reach it!',
            '{p} came with a ladder and got the {obj} down.',
            'A big bird flew by and pushed the {obj} down to {h}.',
        ],
        'end': [
            '"Thank you!" {h} {said}. {He} gave {f} a big hug.',
            '{h} was very {good}. {He} learned that friends can help when things are hard.',
            'After that, {h} and {f} played with the {obj} together.',
            '{h} smiled. Now {he} had {his} {obj} back.',
        ],
    },
    'scared': {
        'problem': [
            '{h} was scared of {scary}.',
            'One night, {h} heard {sound}. {He} was afraid of {scary}.',
            'When {h} saw {scary}, {he} wanted to run away.',
            '{h} did not like {scary}. It made {him} shake.',
        ],
        'feel': [
            '{His} heart went fast. {He} felt very {bad}.',
            '"I am scared," {h} {said}. {He} hid {hide1}.',
            '{h} closed {his} eyes and held {his} {obj} tight.',
            '{h} felt {bad}, so {he} ran to {p}.',
        ],
        'try': [
            '{p} said, "It is okay to be scared. I am here with you."',
            '{f} took {his} hand. "Let us be brave together," {fhe} {said}.',
            '{h} took a deep breath and counted to ten.',
            '{p} sat with {him} and told {him} a story.',
        ],
        'help': [
            'Slowly, {h} opened {his} eyes. {scary_cap} was not so bad after all.',
            '{h} looked again. It was only {thing1}!',
            'Step by step, {h} was brave. {He} was not scared anymore.',
            '{h} and {f} laughed. There was nothing to fear.',
        ],
        'end': [
            '{h} felt {good}. {He} learned that being brave is not the same as not being scared.',
            'After that night, {h} was never afraid of {scary} again.',
            '{h} smiled and said, "I was brave!" {p} was very {good}.',
            'That night, {h} slept well and had happy dreams.',
        ],
    },
    'broken': {
        'problem': [
            'One day, {h} dropped {his} {obj}, and it broke.',
            '{h} played too hard with {his} {obj}. Crack! It broke in two.',
            '{f} wanted to see the {obj}, but {fhe} dropped it. It broke.',
            'The {obj} fell off the table and broke.',
        ],
        'feel': [
            '{h} was very {bad}. The {obj} was a gift from {p}.',
            '"My {obj}!" {h} cried. {He} felt {bad}.',
            '{f} felt sorry. "I am sorry, {h}," {fhe} {said}.',
            '{h} looked at the broken {obj} and felt {bad}.',
        ],
        'try': [
            '{h} tried to fix it, but {he} did not know how.',
            '{He} took the {obj} to {p}. "Can you fix it?" {he} asked.',
            '{f} said, "Let us fix it together."',
            '{h} got some glue and tape.',
        ],
        'help': [
            '{p} helped {him} glue the pieces. Soon the {obj} was fixed.',
            'Together they worked {adv}, and the {obj} looked almost new.',
            '{f} held the pieces while {h} put on the glue.',
            'It took a long time, but at last the {obj} was whole again.',
        ],
        'end': [
            '{h} was {good}. The {obj} had a little crack, but {he} loved it even more.',
            '"Thank you," {h} {said}. {He} learned that broken things can be fixed with help.',
            '{h} and {f} played with the {obj} again, but this time they were careful.',
            '{h} forgave {f}, and they were friends again.',
        ],
    },
    'rain': {
        'problem': [
            '{h} wanted to {activity}, but then it started to rain.',
            'Big gray clouds came. Soon rain fell on {place}.',
            'Just as {h} was ready to go, it began to rain hard.',
            'Drip, drop! The rain came down, and {h} had to stay inside.',
        ],
        'feel': [
            '{h} looked out of the window. {He} felt {bad}.',
            '"Now we can not go out," {h} {said} in a {bad} voice.',
            '{h} sat by the window and sighed.',
            '{h} was {bad} because {he} really wanted to {activity}.',
        ],
        'try': [
            '{p} said, "Let us play a game inside."',
            '{f} came over with a box of toys.',
            '{h} had an idea. "Let us make {make}!" {he} {said}.',
            '{p} got out {make_with}.',
        ],
        'help': [
            'They made {make} with {make_with}. It was so much fun!',
            '{h} and {f} built a fort and told stories in it.',
            'They played all afternoon and laughed a lot.',
            'Soon {h} forgot about the rain.',
        ],
        'end': [
            'When the rain stopped, there was a big rainbow. {h} was {good}.',
            '{h} learned that a rainy day can be fun too.',
            'The next day the sun came out, and {h} went to {activity} after all.',
            'That night, {h} said, "Rainy days are the best!"',
        ],
    },
    'share': {
        'problem': [
            '{h} had {a_color_obj}. {f} wanted to play with it too.',
            '{f} asked, "Can I play with your {obj}?" But {h} said, "No, it is mine!"',
            '{h} had a {food} and did not want to share it.',
            'Both {h} and {f} wanted the same {obj}. They pulled and pulled.',
        ],
        'feel': [
            '{f} was {bad}. {Fhe} walked away and sat alone.',
            '{f} started to cry. {h} felt {bad} too.',
            'Playing alone was not fun. {h} felt lonely.',
            '{h} saw that {f} was sad, and {he} did not feel good.',
        ],
        'try': [
            '{p} said, "When we share, everyone can be happy."',
            '{h} thought about it for a long time.',
            '{h} walked to {f} {adv}.',
            '{h} remembered how it felt when someone shared with {him}.',
        ],
        'help': [
            '"Here, you can play with my {obj} too," {h} {said}.',
            '{h} broke the {food} in half and gave one half to {f}.',
            '"Let us take turns," {h} {said}. {f} smiled.',
            '{h} said, "I am sorry. Do you want to play together?"',
        ],
        'end': [
            '{h} and {f} played together all day. Sharing made them both {good}.',
            'They became best friends. {h} learned that sharing makes everyone happy.',
            '{f} hugged {h}. "You are a good friend," {fhe} {said}.',
            'From then on, {h} always shared {his} toys.',
        ],
    },
    'animal': {
        'problem': [
            '{At}, {h} found a little {animal}. It was hurt.',
            '{h} heard {sound}. It was a small {animal} stuck {hide1}.',
            'A baby {animal} was lost and could not find its mother.',
            'One day, {h} saw a {animal} that looked cold and hungry.',
        ],
        'feel': [
            '{h} felt {bad} for the little {animal}.',
            '"Poor little {animal}," {h} {said}. "I will help you."',
            'The {animal} was shaking. {h} wanted to help.',
            '{h} was worried about the {animal}.',
        ],
        'try': [
            '{He} picked it up {adv} and took it home.',
            '{h} gave the {animal} some water and a bit of {food}.',
            '{He} made a soft bed for it in a box.',
            '{h} and {f} looked for the {animal}\'s mother.',
        ],
        'help': [
            '{p} helped {him} take care of the {animal}.',
            'Soon the {animal} was strong again.',
            'They found the mother {animal} {hide2}. The baby ran to her.',
            'After a few days, the {animal} could walk and play.',
        ],
        'end': [
            '{h} let the {animal} go. It came back to visit every day.',
            '{h} was {good} because {he} helped the {animal}.',
            'The {animal} and {h} became best friends.',
            '{h} learned that it is good to help others.',
        ],
    },
    'learn': {
        'problem': [
            '{h} wanted to learn to {skill}, but it was hard.',
            'All of {his} friends could {skill}, but {h} could not.',
            '{h} tried to {skill}, but {he} fell down.',
            '{h} wanted to {skill} like {f}.',
        ],
        'feel': [
            '{h} felt {bad}. "I will never learn," {he} {said}.',
            '{h} was {bad} and wanted to give up.',
            '"It is too hard," {h} {said}.',
            '{h} sat down. {He} was tired and {bad}.',
        ],
        'try': [
            '{f} said, "Do not give up. Try again!"',
            '{p} said, "Everyone has to practice. Let us try together."',
            '{h} tried again and again, every day.',
            '{He} practiced in the morning and in the evening.',
        ],
        'help': [
            'At first it was hard, but little by little {h} got better.',
            '{f} showed {him} how to do it, step by step.',
            'One day, {h} tried one more time. This time, {he} did it!',
            '{p} clapped {his} hands. "You did it!" {p_he} {said}.',
        ],
        'end': [
            '{h} {skill_done} all by {himself}. {He} was so {good}.',
            '{h} learned that trying again is how we learn.',
            'Now {h} could {skill}, and {he} showed everyone.',
            '{h} smiled a big smile. Practice made {him} better.',
        ],
    },
    'make': {
        'problem': [
            '{h} wanted to make {make} for {p}.',
            'It was {p_his} birthday soon, and {h} wanted to make {make}.',
            '{h} and {f} decided to make {make}.',
            '{h} saw a picture of {make} and wanted to make one too.',
        ],
        'feel': [
            '{h} was {good} and could not wait to start.',
            '"This will be the best one ever," {h} {said}.',
            '{h} felt {good}. {He} had a plan.',
            '{h} was a little nervous, but {he} wanted to try.',
        ],
        'try': [
            '{He} got {make_with}.',
            'First, {h} got {make_with}. Then {he} started to work.',
            'The first try did not work. It fell apart.',
            '{h} worked {adv}, and {f} helped.',
        ],
        'help': [
            '{f} said, "Let me help you." Together they made it.',
            'They tried again, and this time it was perfect.',
            'It took a long time, but at last it was done.',
            '{h} added some {color} paint to make it pretty.',
        ],
        'end': [
            '{h} gave it to {p}. {p} smiled and said, "I love it!"',
            '{h} looked at it and felt very {good}.',
            'Everyone said it was the best {make_name} they had ever seen.',
            '{h} learned that working together makes things better.',
        ],
    },
    'newfriend': {
        'problem': [
            'A new {fkind} came to {place}. {Fhis} name was {f}.',
            '{f} was new, and {fhe} did not know anyone.',
            '{h} saw {f} sitting all alone {at}.',
            'There was a new {fkind} named {f} who looked very shy.',
        ],
        'feel': [
            '{f} looked {bad}. Nobody played with {fhim}.',
            '{h} remembered when {he} was new too. It was hard.',
            '{f} wanted to play, but {fhe} was too shy to ask.',
            '{h} felt sorry for {f}.',
        ],
        'try': [
            '{h} walked up to {f}. "Hi, I am {h}. Do you want to play?"',
            '{h} smiled at {f} and waved.',
            '{h} asked, "Do you want to {activity} with me?"',
            '{h} gave {f} a {food} and said hello.',
        ],
        'help': [
            '{f} smiled. "Yes, please!" {fhe} {said}.',
            'They played together, and {f} laughed for the first time.',
            'Soon {f} was not shy anymore.',
            '{f} told {h} about {fhis} old home, and {h} listened.',
        ],
        'end': [
            '{h} and {f} became best friends.',
            'From that day on, {h} and {f} played together every day.',
            '{f} was {good}. Now {fhe} had a friend.',
            '{h} learned that a kind word can make a new friend.',
        ],
    },
    'trip': {
        'problem': [
            '{p} said, "Today we will go to {place2}!"',
            '{h} and {f} went on a trip to {place2}.',
            '{h} packed {his} bag. {He} was going to {place2}.',
            'It was a big day. {h} was going to see {place2} for the first time.',
        ],
        'feel': [
            '{h} was so {good} that {he} jumped up and down.',
            '"I can not wait!" {h} {said}.',
            '{h} was excited, but also a little nervous.',
            'On the way, {h} sang songs and looked out the window.',
        ],
        'try': [
            'At {place2_short}, they saw {thing3} and {thing4}.',
            'First, they went to see {thing3}. Then they saw {thing4}.',
            '{h} wanted to {activity2}.',
            'They walked and walked and saw many things.',
        ],
        'help': [
            '{h} got to {activity2}. It was so much fun!',
            'Then {h} saw {thing4}. "Look!" {he} {said}.',
            'They had {a_food} for lunch and sat in the sun.',
            '{p} took a picture of {h} and {f}.',
        ],
        'end': [
            'When they came home, {h} was tired but {good}.',
            'That night, {h} dreamed about {place2}.',
            '"Can we go again?" {h} asked. {p} said, "Yes, we can!"',
            '{h} told everyone about {his} day at {place2}.',
        ],
    },
    'truth': {
        'problem': [
            '{h} was playing with a ball in the house, and {he} broke a vase.',
            '{h} ate the last {food}, but it was for {f}.',
            '{h} took {f}\'s {obj} without asking.',
            '{h} spilled juice on the {color} rug.',
        ],
        'feel': [
            '{h} was scared. {He} did not want to tell {p}.',
            '{h} hid {hide1} and felt {bad}.',
            '{h} felt bad inside. {He} knew it was wrong.',
            '{p} asked, "What happened?" {h} did not say anything.',
        ],
        'try': [
            '{h} thought about it for a long time.',
            'At last, {h} went to {p}.',
            '{h} took a deep breath.',
            '{h} knew {he} had to tell the truth.',
        ],
        'help': [
            '"I did it," {h} {said}. "I am sorry."',
            '{h} told {p} everything. "I am sorry," {he} {said}.',
            '{h} gave the {obj} back to {f} and said sorry.',
            '"It was me," {h} {said} {adv}.',
        ],
        'end': [
            '{p} hugged {him}. "Thank you for telling the truth," {p_he} {said}.',
            '{h} felt much better. Telling the truth is important.',
            '{f} said, "It is okay. Thank you for saying sorry."',
            '{h} learned that saying sorry can fix a lot.',
        ],
    },
}

ENDINGS = [
    'The end.',
    '{h} smiled. It was a good day.',
    'And they all lived happily ever after.',
    'That night, {h} went to bed with a big smile.',
    '{h} would never forget that day.',
    'It was the best day ever.',
    'The moral of the story is that {moral}.',
    '{h} knew that {moral}.',
    '',
    '',
]

# Extra sentences that may be sprinkled between beats (small talk, actions, descriptions).
EXTRAS = [
    '{h} and {f} ran {adv} to {place}.',
    '{f} {said}, "{Good_interj} This is fun!"',
    '{h} ate {a_food} and felt {good}.',
    'The {weather} wind blew through the trees.',
    '{h} looked at the {thing1_bare}.',
    '{He} {said}, "I like {thing1}."',
    '"What is that?" {f} asked.',
    'They laughed and played.',
    '{h} clapped {his} hands.',
    '{f} gave {h} {a_food}.',
    'The sun was warm on {his} face.',
    '{h} sang a little song.',
    'A {animal} watched them from {hide_nop}.',
    '"Wow!" {h} {said}.',
    '{h} jumped up and down.',
    'Then they went to {activity}.',
]
# Introduces the friend when the opening did not (plots refer to {f}).
FRIEND_INTROS = [
    '{h} had a friend named {f}.',
    '{h}\'s best friend was {a_fkind} named {f}.',
    'That day, {h} was with {his} friend {f}.',
    '{f} the {fkind} lived next door. {Fhe} was {h}\'s friend.',
    '{h} went to play with {his} friend {f}.',
    '{f} came to play with {h}.',
]
# Feelings that fit each plot's trouble.
PLOT_BAD = {
    'lost': ['sad', 'upset', 'worried'], 'high': ['sad', 'upset', 'grumpy', 'sad'], 'scared': ['scared', 'afraid', 'nervous', 'worried'],
    'broken': ['sad', 'upset', 'sorry'], 'rain': ['sad', 'bored', 'grumpy', 'upset'], 'share': ['sad', 'lonely', 'upset', 'angry'],
    'animal': ['sad', 'worried', 'sorry'], 'learn': ['sad', 'upset', 'tired', 'grumpy'], 'make': ['sad', 'tired'],
    'newfriend': ['sad', 'lonely', 'shy'], 'trip': ['tired', 'sleepy'], 'truth': ['scared', 'sorry', 'worried', 'sad'],
}
INTERJ = ['Yay!', 'Wow!', 'Look!', 'Hooray!', 'Oh!', 'Yes!']


def strip_art(thing):
    for art in ('a ', 'an ', 'the '):
        if thing.startswith(art):
            return thing[len(art):]
    return thing


def ing(activity):
    """'fly a kite' -> 'flying kites' style gerund for the first verb."""
    verb, _, rest = activity.partition(' ')
    if verb.endswith('e') and verb not in ('see',):
        v = verb[:-1] + 'ing'
    elif verb in ('run', 'swim', 'dig', 'skip', 'sit'):
        v = verb + verb[-1] + 'ing'
    else:
        v = verb + 'ing'
    return (v + ' ' + rest).strip()


def fill(t, s):
    out = t.format(**s)
    return out


def story(r):
    h = Who(r)
    f = Who(r, avoid={h.name})
    p, p_he, p_him, p_his = r.choice(PARENTS)
    place, prep, things, acts = r.choice(PLACES)
    place2, prep2, things2, acts2 = r.choice(PLACES)
    obj = r.choice(TOYS)
    color = r.choice(COLORS)
    food = r.choice(FOODS)
    make, make_with = r.choice(MAKE_THINGS)
    skill, skill_done = r.choice(SKILLS)
    t1, t2 = r.sample(things, 2)
    t3, t4 = r.sample(things2, 2)
    hide1, hide2 = r.sample(HIDE_PLACES, 2)
    scary = r.choice(SCARY)
    activity = r.choice(acts)
    kind_for_intro = h.kind if r.random() < 0.8 else h.kind
    s = dict(
        h=h.name, he=h.he, him=h.him, his=h.his, He=cap(h.he), His=cap(h.his), himself=h.him + 'self' if h.g == 'm' else 'herself',
        kind=h.kind, trait=h.trait, a_trait_kind=a_an(h.trait + ' ' + kind_for_intro),
        f=f.name, fhe=f.he, fhim=f.him, fhis=f.his, Fhe=cap(f.he), Fhis=cap(f.his), fkind=f.kind,
        p=p, p_he=p_he, p_his=p_his,
        place=place, At=cap(prep + ' ' + place), at=prep + ' ' + place,
        place2=place2, place2_short=place2, thing3=t3, thing4=t4, activity2=r.choice(acts2),
        thing1=t1, thing2=t2, thing1_bare=strip_art(t1),
        obj=obj, color=color, a_color_obj=a_an(color + ' ' + obj), food=food, a_food=a_an(food),
        good=r.choice(FEEL_GOOD), bad=r.choice(FEEL_BAD), weather=r.choice(WEATHER), time=r.choice(TIMES), day=r.choice(DAYS),
        activity=activity, activity_ing=ing(activity), sound=r.choice(SOUNDS), animal=r.choice(ANIMALS_SMALL),
        high=r.choice(HIGH_PLACES), hide1=hide1, hide2=hide2, hide_nop=strip_art(hide1.split(' ', 1)[1]) if ' ' in hide1 else hide1,
        scary=scary, scary_cap=cap(scary), skill=skill, skill_done=skill_done, make=make, make_with=make_with,
        make_name=make.split(' ', 1)[1], adv=r.choice(ADVERBS), said=r.choice(SAY), moral=r.choice(MORALS),
        Good_interj=r.choice(INTERJ),
    )
    s['hide_nop'] = 'the ' + strip_art(hide1.split(' ', 1)[1])
    s['a_fkind'] = a_an(f.kind)
    plot_name = r.choice(list(PLOTS))
    plot = PLOTS[plot_name]
    s['bad'] = r.choice(PLOT_BAD[plot_name])
    sents = [r.choice(OPENINGS)]
    for _ in range(r.choice([0, 1, 1, 2])):
        sents.append(r.choice(SETTING))
    if '{f}' not in ' '.join(sents) and plot_name != 'newfriend':
        sents.append(r.choice(FRIEND_INTROS))
    for beat in ('problem', 'feel', 'try', 'help', 'end'):
        n = 1 if beat in ('problem', 'end') else r.choice([1, 1, 2])
        for t in r.sample(plot[beat], n):
            sents.append(t)
            # re-roll the small words so repeated slots differ between sentences
            s['said'] = r.choice(SAY)
            s['adv'] = r.choice(ADVERBS)
        if beat in ('feel', 'help') and r.random() < 0.3:
            sents.append(r.choice(EXTRAS))
    sents.append(r.choice(ENDINGS))
    text = ' '.join(fill(t, s) for t in sents if t)
    # "said" at a sentence start after a quote is fine; fix "asked" used with a statement-ending quote
    return text.replace('  ', ' ').strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--stories', type=int, default=30000)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    r = random.Random(a.seed)
    n_bytes = 0
    with open(a.out, 'w', encoding='utf-8') as fh:
        for i in range(a.stories):
            t = story(r)
            fh.write(t + '\n\n')
            n_bytes += len(t.encode()) + 2
    print(f'wrote {a.stories} stories, {n_bytes} bytes to {a.out}')


if __name__ == '__main__':
    main()

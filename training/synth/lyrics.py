"""Made-up lyrics: random lines from small per-language word lists.

The words only need to give eSpeak NG natural phoneme sequences (open and
closed vowels, bilabials, labiodentals, clusters); meaning does not matter.
Each language is sung with eSpeak voices of that language.
"""

from __future__ import annotations

import numpy as np

WORDS: dict[str, tuple[str, ...]] = {
    "en": tuple(
        """love heart night light fire baby dream dance feel away forever shine alone
        home tonight believe falling rain river moon summer broken breathe open
        sky hold closer tiny dancer highway morning blue golden remember never
        maybe wonder whisper over under free freedom voice fly flying movie
        time money mama papa music sweet bitter fever forget lover tomorrow
        yesterday wave ocean follow shadow window pillow marry me my you we
        run running wild beautiful because believe shallow deep million every
        way road back be mine only lonely show me oh yeah woo baby tell me why
        love me fool soul rock roll city lights stars above beyond memory""".split()
    ),
    "it": tuple(
        """amore mio cuore notte luna sole mare vento canto cantare vita bella
        ciao sempre mai volare cielo stella dolce tempo parole mamma felice
        ancora domani ieri sogno sognare baciami abbraccio fuoco piano voce
        lontano vicino ballare musica via luce anima primavera nel blu dipinto
        di felicita tu io noi voi per te senza fine aria estate""".split()
    ),
    "es": tuple(
        """corazon amor noche luna sol mar viento cantar vida bonita siempre nunca
        volar cielo estrella dulce tiempo palabras mama feliz manana ayer sueno
        sonar besame abrazo fuego piano voz lejos cerca bailar musica camino luz
        alma primavera contigo sin ti para mi tu yo nosotros verano despacito
        quiero mucho bamba gracias""".split()
    ),
    "de": tuple(
        """liebe herz nacht licht feuer traum tanzen fuehlen immer allein heute
        morgen himmel sonne mond regen wasser fliegen stimme lied singen schoen
        wunderbar leben zeit warten wieder mein dein wir ihr komm zu mir bleib
        hier ohne dich sommer winter welt weit frei""".split()
    ),
    "fr": tuple(
        """amour coeur nuit lumiere soleil lune mer vent chanter vie belle toujours
        jamais voler ciel etoile douce temps paroles maman heureux demain hier reve
        rever embrasse-moi feu voix loin pres danser musique chemin ame printemps
        avec toi sans moi pour nous vous ete hiver monde libre encore ma cherie
        pourquoi comme ca mon petit bonheur tristesse""".split()
    ),
}

# eSpeak NG voice (language) names and the variants that give male / female timbres.
VOICES: dict[str, tuple[str, ...]] = {
    "en": ("en-us", "en"),
    "it": ("it",),
    "es": ("es",),
    "de": ("de",),
    "fr": ("fr",),
}
LANGUAGE_WEIGHTS: dict[str, float] = {"en": 0.4, "it": 0.12, "es": 0.16, "de": 0.16, "fr": 0.16}


def choose_language(rng: np.random.Generator) -> str:
    names = list(LANGUAGE_WEIGHTS)
    weights = np.array([LANGUAGE_WEIGHTS[n] for n in names])
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def random_line(rng: np.random.Generator, language: str, n_words: int) -> str:
    words = WORDS[language]
    return " ".join(words[int(i)] for i in rng.integers(0, len(words), size=n_words))

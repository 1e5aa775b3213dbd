"""The benchmark comparison behind ``etagcore bench`` and ``bench/``: etagcore's strategies
against what a server would otherwise use, on contiguous and fragmented bodies.

Needs the ``bench`` extra (tornado, werkzeug, matplotlib, tqdm): ``pip install 'etagcore[bench]'``.
"""

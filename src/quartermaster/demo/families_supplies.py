"""Demo product lines: electrical, plumbing, safety and packaging (data for
``catalog``)."""

from __future__ import annotations

from quartermaster.demo.families import SIZES, Family, labelled, options

SUPPLIES: tuple[Family, ...] = (
    # Electrical
    Family(
        ("Electrical", "Cables & wire", "Installation cable"),
        "ELE-CB",
        "{} {} mm² (per m)",
        (
            ("type", labelled(("NYMJ", "NYM-J"), ("NYYJ", "NYY-J"), ("H07RN", "H07RN-F"))),
            (
                "cores",
                labelled(
                    ("3X15", "3 x 1.5"),
                    ("3X25", "3 x 2.5"),
                    ("5X15", "5 x 1.5"),
                    ("5X25", "5 x 2.5"),
                    ("5X4", "5 x 4"),
                    ("5X6", "5 x 6"),
                    ("5X10", "5 x 10"),
                ),
            ),
        ),
        unit="m",
        weight=2,
        cost=(0.55, 4.8),
        line=(5, 100),
        blurb="Cut to length from the drum.",
    ),
    Family(
        ("Electrical", "Cables & wire", "Single-core wire"),
        "ELE-WR",
        "H07V-K {} mm², {} (per m)",
        (
            ("cross_section_mm2", options([1.5, 2.5, 4, 6, 10, 16], sku="{}")),
            (
                "colour",
                labelled(
                    ("BU", "blue"),
                    ("BN", "brown"),
                    ("BK", "black"),
                    ("GY", "grey"),
                    ("GNYE", "green-yellow"),
                ),
            ),
        ),
        unit="m",
        weight=1.5,
        cost=(0.15, 1.6),
        line=(5, 100),
    ),
    Family(
        ("Electrical", "Switches & sockets"),
        "ELE-SW",
        "{} {}, {}",
        (
            ("series", labelled(("CL", "Classic"), ("FL", "Flatline"), ("MD", "Modena"))),
            (
                "function",
                labelled(
                    ("1W", "1-way switch"),
                    ("2W", "2-way switch"),
                    ("DBL", "double switch"),
                    ("DIM", "LED dimmer"),
                    ("SKT", "socket"),
                    ("2SKT", "double socket"),
                    ("USB", "socket with USB-C"),
                ),
            ),
            ("colour", labelled(("WH", "white"), ("AN", "anthracite"), ("AL", "aluminium"))),
        ),
        weight=2,
        cost=(2.2, 28.0),
        line=(2, 20),
    ),
    Family(
        ("Electrical", "Lighting"),
        "ELE-LED",
        "LED lamp {} {} W, {}",
        (
            ("base", options(["E27", "E14", "GU10", "GU5.3"], sku="{}")),
            ("power_w", options([4.9, 6, 8.5, 11, 13], sku="{}W")),
            (
                "colour_temperature",
                labelled(("27K", "2700 K"), ("30K", "3000 K"), ("40K", "4000 K")),
            ),
        ),
        weight=1.5,
        cost=(1.4, 6.0),
        line=(4, 40),
    ),
    Family(
        ("Electrical", "Protection"),
        "ELE-CBR",
        "Circuit breaker {}{} A, {}",
        (
            ("curve", options(["B", "C"])),
            ("current_a", options([6, 10, 13, 16, 20, 25, 32], sku="{:02d}")),
            ("poles", labelled(("1P", "1-pole"), ("2P", "2-pole"), ("3P", "3-pole"))),
        ),
        weight=1.5,
        cost=(3.5, 24.0),
        line=(2, 24),
        attributes={"breaking_capacity": "6 kA"},
    ),
    Family(
        ("Electrical", "Protection"),
        "ELE-RCD",
        "Residual current device {} A, {} mA, type {}",
        (
            ("current_a", options([25, 40, 63], sku="{}")),
            ("sensitivity_ma", options([30, 100, 300], sku="{:03d}")),
            ("type", options(["A", "F", "B"])),
        ),
        weight=0.8,
        cost=(22.0, 160.0),
        line=(1, 6),
        attributes={"poles": 4},
    ),
    Family(
        ("Electrical", "Cables & wire", "Conduit"),
        "ELE-CD",
        "{} conduit {} mm (per m)",
        (
            ("type", labelled(("FLX", "Flexible"), ("PVC", "Rigid PVC"), ("STL", "Steel"))),
            ("diameter_mm", options([16, 20, 25, 32, 40], sku="{}")),
        ),
        unit="m",
        weight=0.8,
        cost=(0.3, 4.0),
        line=(5, 50),
    ),
    Family(
        ("Electrical", "Connectors"),
        "ELE-CN",
        "{} {}",
        (
            (
                "type",
                labelled(
                    ("LVR", "Lever connector"),
                    ("PSH", "Push-in connector"),
                    ("TB", "Terminal block"),
                ),
            ),
            ("ways", options([2, 3, 5, 8], sku="{}W", name="{}-way")),
        ),
        weight=1,
        cost=(0.12, 1.1),
        line=(25, 300),
    ),
    Family(
        ("Electrical", "Connectors", "Cable ties"),
        "ELE-CT",
        "Cable tie {} x {} mm, {}",
        (
            ("length_mm", options([100, 150, 200, 300, 370], sku="{:03d}")),
            ("width_mm", options([2.5, 3.6, 4.8, 7.6], sku="{}")),
            ("colour", labelled(("BK", "black UV-resistant"), ("NT", "natural"))),
        ),
        weight=1,
        cost=(0.01, 0.12),
        line=(100, 1000),
    ),
    # Plumbing
    Family(
        ("Plumbing", "Pipes"),
        "PLB-PP",
        "{} pipe {} mm (per m)",
        (
            ("material", labelled(("CU", "Copper"), ("PEX", "PEX-AL-PEX"), ("PVC", "PVC-U drain"))),
            ("diameter_mm", options([15, 18, 22, 28, 35, 40, 50], sku="{:03d}")),
        ),
        unit="m",
        weight=1.5,
        cost=(1.2, 14.0),
        line=(2, 30),
    ),
    Family(
        ("Plumbing", "Fittings", "Press fittings"),
        "PLB-PF",
        "Press fitting {} {} mm, {}",
        (
            (
                "type",
                labelled(
                    ("E90", "elbow 90°"),
                    ("E45", "elbow 45°"),
                    ("TEE", "tee"),
                    ("CPL", "coupling"),
                    ("RED", "reducer"),
                    ("CAP", "end cap"),
                ),
            ),
            ("diameter_mm", options([12, 15, 18, 22, 28, 35], sku="{:02d}")),
            (
                "material",
                labelled(("CU", "copper"), ("SS", "stainless steel"), ("CS", "carbon steel")),
            ),
        ),
        weight=3,
        cost=(0.9, 16.0),
        line=(5, 60),
    ),
    Family(
        ("Plumbing", "Fittings", "Brass fittings"),
        "PLB-BF",
        "Brass {} {}",
        (
            (
                "type",
                labelled(
                    ("NIP", "nipple"),
                    ("SKT", "socket"),
                    ("ELB", "elbow"),
                    ("TEE", "tee"),
                    ("RB", "reducing bush"),
                    ("PLG", "plug"),
                ),
            ),
            (
                "thread",
                labelled(
                    ("38", '3/8"'), ("12", '1/2"'), ("34", '3/4"'), ("1", '1"'), ("114", '1 1/4"')
                ),
            ),
        ),
        weight=1.5,
        cost=(0.9, 9.0),
        line=(5, 50),
    ),
    Family(
        ("Plumbing", "Fittings", "Pipe clips"),
        "PLB-PC",
        "{} {} mm",
        (
            (
                "type",
                labelled(
                    ("SGL", "Pipe clip"),
                    ("DBL", "Double pipe clip"),
                    ("RBR", "Rubber-lined pipe clamp"),
                ),
            ),
            ("diameter_mm", options([12, 15, 18, 22, 28, 35, 42, 54], sku="{:02d}")),
        ),
        weight=1,
        cost=(0.15, 2.8),
        line=(10, 100),
    ),
    Family(
        ("Plumbing", "Valves"),
        "PLB-VL",
        "{} {}",
        (
            (
                "type",
                labelled(
                    ("BV", "Ball valve"),
                    ("GV", "Gate valve"),
                    ("CV", "Check valve"),
                    ("AV", "Angle valve"),
                ),
            ),
            ("size", labelled(("38", '3/8"'), ("12", '1/2"'), ("34", '3/4"'), ("1", '1"'))),
        ),
        weight=1,
        cost=(3.0, 26.0),
        line=(2, 20),
    ),
    Family(
        ("Plumbing", "Sealing & chemicals"),
        "PLB-CH",
        "{} (per l)",
        (
            (
                "product",
                labelled(
                    ("DRN", "Drain cleaner"),
                    ("DSC", "Descaler"),
                    ("GLY", "Heating antifreeze glycol"),
                    ("LKS", "Heating leak sealer"),
                    ("CUT", "Cutting oil"),
                    ("HLP46", "Hydraulic oil HLP 46"),
                ),
            ),
        ),
        unit="l",
        weight=0.4,
        cost=(1.8, 7.5),
        line=(1, 20),
        blurb="Sold by the litre, dispensed from 20 l canisters.",
    ),
    Family(
        ("Plumbing", "Sealing & chemicals"),
        "PLB-SL",
        "{} {}",
        (
            (
                "product",
                labelled(
                    ("SIL", "Sanitary silicone 310 ml"),
                    ("ACR", "Acrylic sealant 310 ml"),
                    ("PTFE", "PTFE thread tape 12 m"),
                ),
            ),
            (
                "colour",
                labelled(("WH", "white"), ("TR", "transparent"), ("GY", "grey"), ("BG", "beige")),
            ),
        ),
        weight=0.5,
        cost=(0.6, 5.5),
        line=(4, 40),
    ),
    # Safety
    Family(
        ("Safety", "Gloves"),
        "SAF-GL",
        "{}, size {}",
        (
            (
                "type",
                labelled(
                    ("NIT", "Nitrile-coated work gloves"),
                    ("LTH", "Leather rigger gloves"),
                    ("CUT", "Cut-resistant gloves level C"),
                    ("WIN", "Thermal winter gloves"),
                    ("CHM", "Chemical-resistant gloves"),
                ),
            ),
            ("size", options([6, 7, 8, 9, 10, 11])),
        ),
        weight=2,
        cost=(0.9, 8.5),
        line=(6, 60),
        attributes={"standard": "EN 388"},
    ),
    Family(
        ("Safety", "Head & eye protection"),
        "SAF-HE",
        "{}, {}",
        (
            (
                "type",
                labelled(
                    ("HLM", "Safety helmet"),
                    ("HLV", "Vented safety helmet"),
                    ("GLS", "Safety glasses"),
                    ("GOG", "Safety goggles"),
                ),
            ),
            (
                "colour",
                labelled(("WH", "white"), ("YE", "yellow"), ("RD", "red"), ("BU", "blue")),
            ),
        ),
        weight=1,
        cost=(2.5, 18.0),
        line=(2, 20),
    ),
    Family(
        ("Safety", "Hi-vis clothing"),
        "SAF-HV",
        "Hi-vis {}, {}, size {}",
        (
            (
                "item",
                labelled(
                    ("VST", "vest"), ("JKT", "jacket"), ("TRS", "trousers"), ("TSH", "T-shirt")
                ),
            ),
            ("colour", labelled(("YE", "yellow"), ("OR", "orange"))),
            ("size", SIZES),
        ),
        weight=2,
        cost=(2.0, 38.0),
        line=(2, 25),
        attributes={"standard": "EN ISO 20471"},
    ),
    Family(
        ("Safety", "Footwear"),
        "SAF-BT",
        "Safety boot {}, size {}",
        (
            ("model", labelled(("S1P", "S1P low"), ("S3", "S3 mid"), ("S3W", "S3 winter"))),
            ("size_eu", options(list(range(36, 49)))),
        ),
        weight=1.5,
        cost=(28.0, 75.0),
        line=(1, 4),
    ),
    Family(
        ("Safety", "First aid & hearing"),
        "SAF-FA",
        "{}",
        (
            (
                "product",
                labelled(
                    ("EP200", "Ear plugs, box of 200 pairs"),
                    ("EM30", "Ear muffs SNR 30 dB"),
                    ("EM35", "Ear muffs SNR 35 dB"),
                    ("FAK13157", "First aid kit DIN 13157"),
                    ("FAK13169", "First aid kit DIN 13169"),
                    ("EW500", "Eye wash bottle 500 ml"),
                    ("PLD", "Plaster dispenser"),
                ),
            ),
        ),
        weight=0.3,
        cost=(2.0, 45.0),
        line=(1, 10),
    ),
    # Packaging
    Family(
        ("Packaging", "Boxes"),
        "PKG-BX",
        "Cardboard box {} mm, {}",
        (
            (
                "size_mm",
                labelled(
                    ("201510", "200 x 150 x 100"),
                    ("302015", "300 x 200 x 150"),
                    ("403020", "400 x 300 x 200"),
                    ("504030", "500 x 400 x 300"),
                    ("604040", "600 x 400 x 400"),
                    ("806040", "800 x 600 x 400"),
                    ("1208080", "1200 x 800 x 800"),
                ),
            ),
            ("wall", labelled(("SW", "single wall"), ("DW", "double wall"), ("TW", "triple wall"))),
        ),
        weight=1.5,
        cost=(0.25, 2.4),
        line=(20, 250),
    ),
    Family(
        ("Packaging", "Tapes"),
        "PKG-TP",
        "Packing tape {}, {} mm x 66 m, {}",
        (
            (
                "type",
                labelled(
                    ("PPA", "PP acrylic"),
                    ("PPH", "PP hot melt"),
                    ("PAP", "paper"),
                    ("PVC", "PVC low-noise"),
                ),
            ),
            ("width_mm", options([48, 50, 75], sku="{}")),
            ("colour", labelled(("BN", "brown"), ("TR", "clear"))),
        ),
        weight=1,
        cost=(0.7, 3.2),
        line=(6, 72),
    ),
    Family(
        ("Packaging", "Films & fill"),
        "PKG-FL",
        "{} {} mm (per m)",
        (
            (
                "product",
                labelled(
                    ("BUB10", "Bubble wrap 10 mm"),
                    ("BUB30", "Bubble wrap 30 mm"),
                    ("FOAM", "Foam sheet 2 mm"),
                ),
            ),
            ("width_mm", options([500, 750, 1000, 1500], sku="{}")),
        ),
        unit="m",
        weight=0.5,
        cost=(0.1, 0.9),
        line=(10, 150),
    ),
    Family(
        ("Packaging", "Films & fill"),
        "PKG-VF",
        "{} void fill (per kg)",
        (("material", labelled(("PAP", "Paper"), ("LF", "Loose-fill"), ("AIR", "Air-cushion"))),),
        unit="kg",
        weight=0.2,
        cost=(2.0, 6.0),
        line=(1, 15),
    ),
    Family(
        ("Packaging", "Mailers"),
        "PKG-ML",
        "{} {}",
        (
            (
                "type",
                labelled(
                    ("PAD", "Padded envelope"), ("BAG", "Mailing bag"), ("CBM", "Cardboard mailer")
                ),
            ),
            ("size", options(["A5", "A4", "A3", "C4"])),
        ),
        weight=0.5,
        cost=(0.08, 0.9),
        line=(25, 250),
    ),
    Family(
        ("Packaging", "Labels"),
        "PKG-LB",
        "{} labels {} mm, roll of 1000",
        (
            (
                "type",
                labelled(
                    ("TD", "Direct thermal"), ("TT", "Thermal transfer"), ("FRG", "'Fragile'")
                ),
            ),
            (
                "size_mm",
                labelled(("5025", "50 x 25"), ("10050", "100 x 50"), ("100150", "100 x 150")),
            ),
        ),
        weight=0.5,
        cost=(3.0, 14.0),
        line=(1, 12),
    ),
)

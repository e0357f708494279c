"""The catalogue of Tessaline Software, a fictional CAD vendor: seven products and their items.

Product codes are stable: the desktop licence check sends them.
"""

from licensing.subscriptions.models import Product, ProductItem

SOFTWARE, SERVICE = ProductItem.Kind.SOFTWARE, ProductItem.Kind.SERVICE
CATALOGUE = [
    # code, name, kind, is_collaboration, description, items (code, name, kind)
    (
        "tessaline-aec-collection",
        "Tessaline AEC Collection",
        Product.Kind.COLLECTION,
        False,
        "Draftline, Structa, Terrain Studio and Solvista Render in one subscription, with cloud rendering "
        "and online storage.",
        [
            ("draftline", "Draftline", SOFTWARE),
            ("structa", "Structa", SOFTWARE),
            ("terrain-studio", "Terrain Studio", SOFTWARE),
            ("solvista-render", "Solvista Render", SOFTWARE),
            ("cloud-rendering", "Cloud rendering", SERVICE),
            ("online-storage", "Online storage (1 TB)", SERVICE),
        ],
    ),
    (
        "draftline",
        "Draftline",
        Product.Kind.SOFTWARE,
        False,
        "2D drafting and 3D modelling for buildings and infrastructure.",
        [
            ("draftline-desktop", "Draftline desktop", SOFTWARE),
            ("draftline-web", "Draftline Web & Mobile", SERVICE),
            ("online-storage", "Online storage (100 GB)", SERVICE),
        ],
    ),
    (
        "structa",
        "Structa",
        Product.Kind.SOFTWARE,
        False,
        "Structural analysis and design of steel, concrete and timber structures.",
        [("structa-desktop", "Structa desktop", SOFTWARE), ("cloud-analysis", "Cloud analysis", SERVICE)],
    ),
    (
        "terrain-studio",
        "Terrain Studio",
        Product.Kind.SOFTWARE,
        False,
        "Civil design: roads, dikes, terrain models and drainage.",
        [
            ("terrain-studio-desktop", "Terrain Studio desktop", SOFTWARE),
            ("point-cloud-processing", "Point cloud processing", SERVICE),
        ],
    ),
    (
        "solvista-render",
        "Solvista Render",
        Product.Kind.SOFTWARE,
        False,
        "Photorealistic visualisation and animation of designs.",
        [
            ("solvista-render-desktop", "Solvista Render desktop", SOFTWARE),
            ("cloud-rendering", "Cloud rendering", SERVICE),
        ],
    ),
    (
        "pipeflow-mep",
        "Pipeflow MEP",
        Product.Kind.SOFTWARE,
        False,
        "Design of mechanical, electrical and plumbing systems.",
        [("pipeflow-desktop", "Pipeflow desktop", SOFTWARE)],
    ),
    (
        "tessaline-connect",
        "Tessaline Connect",
        Product.Kind.CLOUD,
        True,
        "Shared project sites for documents, design review and model coordination with partners.",
        [
            ("document-management", "Document management", SERVICE),
            ("design-review", "Design review", SERVICE),
            ("model-coordination", "Model coordination", SERVICE),
        ],
    ),
]


def catalogue_upsert() -> dict[str, Product]:
    """Create or update the vendor's products and items by code; returns the products by code."""
    products = {}
    for code, name, kind, is_collaboration, description, items in CATALOGUE:
        product, _created = Product.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "is_collaboration": is_collaboration,
                "description": description,
                "download_url": f"https://downloads.tessaline.example/{code}/",
            },
        )
        for item_code, item_name, item_kind in items:
            ProductItem.objects.update_or_create(
                product=product, code=item_code, defaults={"name": item_name, "kind": item_kind}
            )
        products[code] = product
    return products

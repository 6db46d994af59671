"""Reports: facts and rollups maintained as events happen, the report routes over them."""

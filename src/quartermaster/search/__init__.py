"""Search: one ranked search over every module's documents (products, tickets, articles)."""

export { findProductByCode, productQuery, useProduct, useProductSuggestions } from "./api";
export { productKeys } from "./keys";
export { ProductLabel, useProductUnit } from "./ProductLabel";

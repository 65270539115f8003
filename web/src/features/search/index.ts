export { ALL_TYPES, search, searchKeys, useQuickSearch, useSearchPages } from "./api";
export { Highlight, highlightParts, snippetIsTitle } from "./Highlight";
export { groupHits, TYPE_ICON, TYPE_LABEL } from "./parts";

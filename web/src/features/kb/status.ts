import type { ArticleStatus } from "./contract";

export interface StatusAction {
  status: ArticleStatus;
  label: string;
}

/** Where an article can go from where it is (for people with knowledge:publish). */
export function statusActions(status: ArticleStatus): StatusAction[] {
  if (status === "draft") return [{ status: "archived", label: "Archive" }, { status: "published", label: "Publish" }];
  if (status === "published") return [{ status: "archived", label: "Archive" }, { status: "draft", label: "Unpublish" }];
  return [{ status: "draft", label: "Back to draft" }];
}

export const STATUS_DONE: Record<ArticleStatus, string> = {
  draft: "Moved to drafts",
  published: "Published",
  archived: "Archived",
};

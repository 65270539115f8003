import { useMutation, useQuery } from "@tanstack/react-query";
import { CheckCircle2, Star } from "lucide-react";
import { useState } from "react";
import { useParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { ApiError, describeError } from "@/api/problem";
import { AuthLayout } from "@/features/auth";
import { cn } from "@/lib/cn";
import { Button } from "@/ui/Button";
import { TextAreaField } from "@/ui/Field";
import { Skeleton } from "@/ui/layout";
import { Notice } from "@/ui/Notice";

const WORDS = ["", "Very poor", "Poor", "Okay", "Good", "Excellent"];

function RatingInput({ value, onChange }: { value: number; onChange: (score: number) => void }) {
  return (
    <div role="radiogroup" aria-label="Your rating" className="flex gap-1">
      {[1, 2, 3, 4, 5].map((score) => (
        <button
          key={score}
          type="button"
          role="radio"
          aria-checked={value === score}
          aria-label={`${score} — ${WORDS[score]}`}
          title={WORDS[score]}
          onClick={() => onChange(score)}
          className="rounded-lg p-1.5 hover:bg-raised"
        >
          <Star className={cn("size-9", score <= value ? "fill-warn text-warn" : "text-muted")} aria-hidden />
        </button>
      ))}
    </div>
  );
}

/** The requester's rating link (no login): the ticket's subject, a score, an optional
 * comment, once. A used or unknown link says so. */
export default function CsatPage() {
  const { token = "" } = useParams();
  const [score, setScore] = useState(0);
  const [comment, setComment] = useState("");
  const view = useQuery({
    queryKey: ["csat", token],
    retry: false,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/csat/{token}", { params: { path: { token } }, signal })),
  });
  const answer = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/csat/{token}", { params: { path: { token } }, body: { score, comment: comment.trim() || null } })),
  });

  if (view.error) {
    const missing = view.error instanceof ApiError && view.error.status === 404;
    return (
      <AuthLayout title={missing ? "This link does not work" : "Something went wrong"}>
        <Notice tone="warn">{missing ? "This rating link is not valid — it may have been cut short or mistyped. Copy the whole link from the e-mail." : describeError(view.error)}</Notice>
      </AuthLayout>
    );
  }
  if (!view.data) {
    return (
      <AuthLayout title="How did we do?">
        <Skeleton className="h-40" />
      </AuthLayout>
    );
  }
  const survey = view.data;
  const used = answer.error instanceof ApiError && answer.error.status === 409;
  if (answer.isSuccess) {
    return (
      <AuthLayout title="Thank you!">
        <Notice tone="good" title="Your rating was sent">
          It helps us support you better. You can close this page.
        </Notice>
      </AuthLayout>
    );
  }
  if (survey.answered || used) {
    return (
      <AuthLayout title="Already rated" subtitle={`${survey.ticket_key}: ${survey.subject}`}>
        <Notice tone="info" title="This link has been used">
          {used ? describeError(answer.error) : "Each rating link can be answered once, and this one was. Thank you for your feedback!"}
        </Notice>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="How did we do?" subtitle={`${survey.ticket_key}: ${survey.subject}`}>
      <form
        className="space-y-5"
        onSubmit={(e) => {
          e.preventDefault();
          if (score) answer.mutate();
        }}
      >
        <div className="space-y-2">
          <p className="text-sm font-medium" id="rating-label">
            Rate the support you received
          </p>
          <RatingInput value={score} onChange={setScore} />
          <p className="h-5 text-sm text-muted" aria-live="polite">
            {WORDS[score]}
          </p>
        </div>
        <TextAreaField label="Anything to add? (optional)" rows={3} maxLength={2000} value={comment} onChange={(e) => setComment(e.target.value)} />
        {answer.error && !used ? <Notice tone="bad">{describeError(answer.error)}</Notice> : null}
        <Button type="submit" variant="primary" size="lg" className="w-full" disabled={!score} loading={answer.isPending} icon={<CheckCircle2 className="size-5" aria-hidden />}>
          Send rating
        </Button>
        {survey.conversation.length ? (
          <details className="text-sm">
            <summary className="cursor-pointer text-muted">Your conversation</summary>
            <ol className="mt-2 space-y-2">
              {survey.conversation.map((c, i) => (
                <li key={i} className="rounded-lg border border-line p-2">
                  <p className="text-xs text-muted">{c.author === "you" ? "You" : "Support"}</p>
                  <div className="prose-qm" dangerouslySetInnerHTML={{ __html: c.body_html }} />
                </li>
              ))}
            </ol>
          </details>
        ) : null}
      </form>
    </AuthLayout>
  );
}

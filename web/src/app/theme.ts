import { useEffect, useState } from "react";

export type ThemeChoice = "system" | "light" | "dark";
const KEY = "qm.theme";

function systemDark(): boolean {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
}

export function storedTheme(): ThemeChoice {
  const value = localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : "system";
}

/** Put `dark` or `light` on <html>; called before the first render and on every change. */
export function applyTheme(choice: ThemeChoice = storedTheme()): void {
  const dark = choice === "dark" || (choice === "system" && systemDark());
  document.documentElement.classList.toggle("dark", dark);
  document.documentElement.classList.toggle("light", !dark);
  document.querySelector('meta[name="theme-color"]')?.setAttribute("content", dark ? "#0e1114" : "#0f766e");
}

export function useTheme(): [ThemeChoice, (choice: ThemeChoice) => void] {
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme);
  useEffect(() => {
    applyTheme(choice);
    if (choice !== "system") return;
    const media = window.matchMedia?.("(prefers-color-scheme: dark)");
    const follow = () => applyTheme("system");
    media?.addEventListener("change", follow);
    return () => media?.removeEventListener("change", follow);
  }, [choice]);
  return [
    choice,
    (next) => {
      if (next === "system") localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, next);
      setChoice(next);
    },
  ];
}

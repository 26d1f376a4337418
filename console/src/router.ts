/** Hash routes: the page's URL stays /api/console, so a reload or a shared link needs no server routing. */
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "overview" }
  | { page: "runs"; configId: string }
  | { page: "run"; configId: string; runId: string }
  | { page: "review"; configId: string; status: "open" | "resolved" }
  | { page: "ledger"; configId: string }
  | { page: "configs" };

export function parseHash(hash: string): Route {
  const [page, configId, extra] = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (page === "runs" && configId) return extra ? { page: "run", configId, runId: extra } : { page: "runs", configId };
  if (page === "review" && configId) return { page: "review", configId, status: extra === "resolved" ? "resolved" : "open" };
  if (page === "ledger" && configId) return { page: "ledger", configId };
  if (page === "configs") return { page: "configs" };
  return { page: "overview" };
}

export function href(route: Route): string {
  const e = encodeURIComponent;
  switch (route.page) {
    case "overview":
      return "#/overview";
    case "runs":
      return `#/runs/${e(route.configId)}`;
    case "run":
      return `#/runs/${e(route.configId)}/${e(route.runId)}`;
    case "review":
      return `#/review/${e(route.configId)}${route.status === "resolved" ? "/resolved" : ""}`;
    case "ledger":
      return `#/ledger/${e(route.configId)}`;
    case "configs":
      return "#/configs";
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

/** Fixed tables for synthetic HLF data: Norwegian names and real postal code / municipality pairs. */

export const FIRST_NAMES = [
  "Åse", "Bjørn", "Øystein", "Kjærsti", "Sølvi", "Håkon", "Pål", "Ståle", "Gunnhild", "Ingrid",
  "Kåre", "Mette", "Lars", "Solveig", "Jørgen", "Anne", "Ørjan", "Tone", "Eirik", "Nils",
  "Marit", "Ragnhild", "Torbjørn", "Åsmund", "Bjørg", "Hege", "Kristin", "Sindre", "Trygve", "Frøydis",
  "Dagfinn", "Vegard", "Synnøve", "Sigrid", "Halvard", "Astrid", "Målfrid", "Jostein", "Grete", "Rune",
  "Liv", "Odd", "Berit", "Knut", "Randi", "Geir", "Wenche", "Terje", "Else", "Svein",
  "Inger", "Arne", "Gro", "Tor", "Kari", "Per", "Turid", "Ole", "Aud", "Jon",
] as const;

export const LAST_NAMES = [
  "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen", "Karlsen",
  "Berg", "Haugen", "Hagen", "Johnsen", "Pettersen", "Eriksen", "Sæther", "Bråten", "Løvås", "Høyland",
  "Ødegård", "Grønli", "Nærø", "Åsheim", "Sørensen", "Strøm", "Lien", "Dahl", "Bakken", "Solberg",
  "Kvalsvik", "Fjærli", "Mæland", "Aas", "Bø", "Kåsa", "Røed", "Hætta", "Moe", "Nygård",
  "Jacobsen", "Halvorsen", "Gundersen", "Rønning", "Sæbø", "Tveit", "Myklebust", "Brønstad", "Vågen", "Ødegaard",
] as const;

/** Real postal codes with their post town, and the local HLF chapter the town belongs to. */
export const PLACES = [
  { postalCode: "0150", city: "Oslo", chapter: "HLF Oslo" },
  { postalCode: "0450", city: "Oslo", chapter: "HLF Oslo" },
  { postalCode: "1337", city: "Sandvika", chapter: "HLF Bærum" },
  { postalCode: "1530", city: "Moss", chapter: "HLF Moss" },
  { postalCode: "1606", city: "Fredrikstad", chapter: "HLF Fredrikstad" },
  { postalCode: "1721", city: "Sarpsborg", chapter: "HLF Sarpsborg" },
  { postalCode: "2000", city: "Lillestrøm", chapter: "HLF Lillestrøm" },
  { postalCode: "2317", city: "Hamar", chapter: "HLF Hamar" },
  { postalCode: "2609", city: "Lillehammer", chapter: "HLF Lillehammer" },
  { postalCode: "2815", city: "Gjøvik", chapter: "HLF Gjøvik" },
  { postalCode: "3015", city: "Drammen", chapter: "HLF Drammen" },
  { postalCode: "3110", city: "Tønsberg", chapter: "HLF Tønsberg" },
  { postalCode: "3210", city: "Sandefjord", chapter: "HLF Sandefjord" },
  { postalCode: "3616", city: "Kongsberg", chapter: "HLF Kongsberg" },
  { postalCode: "3717", city: "Skien", chapter: "HLF Skien" },
  { postalCode: "4006", city: "Stavanger", chapter: "HLF Stavanger" },
  { postalCode: "4306", city: "Sandnes", chapter: "HLF Sandnes" },
  { postalCode: "4610", city: "Kristiansand", chapter: "HLF Kristiansand" },
  { postalCode: "4836", city: "Arendal", chapter: "HLF Arendal" },
  { postalCode: "5003", city: "Bergen", chapter: "HLF Bergen" },
  { postalCode: "5501", city: "Haugesund", chapter: "HLF Haugesund" },
  { postalCode: "6002", city: "Ålesund", chapter: "HLF Ålesund" },
  { postalCode: "6413", city: "Molde", chapter: "HLF Molde" },
  { postalCode: "6800", city: "Førde", chapter: "HLF Sunnfjord" },
  { postalCode: "7010", city: "Trondheim", chapter: "HLF Trondheim" },
  { postalCode: "7600", city: "Levanger", chapter: "HLF Levanger" },
  { postalCode: "8006", city: "Bodø", chapter: "HLF Bodø" },
  { postalCode: "8300", city: "Svolvær", chapter: "HLF Lofoten" },
  { postalCode: "8622", city: "Mo i Rana", chapter: "HLF Rana" },
  { postalCode: "9008", city: "Tromsø", chapter: "HLF Tromsø" },
  { postalCode: "9405", city: "Harstad", chapter: "HLF Harstad" },
  { postalCode: "9510", city: "Alta", chapter: "HLF Alta" },
  { postalCode: "9600", city: "Hammerfest", chapter: "HLF Hammerfest" },
  { postalCode: "9800", city: "Vadsø", chapter: "HLF Vadsø" },
] as const;

/** Reserved example domains (RFC 2606 / 6761): no real mailbox can be hit. */
export const EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "post.example", "epost.example"] as const;

/** Dataverse option set values of hlf_likepersonstatus. */
export const LIKEPERSON_STATUS_CODES = { active: 100000000, paused: 100000001, retired: 100000002 } as const;

export type LikepersonStatus = keyof typeof LIKEPERSON_STATUS_CODES;

/** The same 8-digit mobile number in the ways people write it. */
export const PHONE_FORMATS: readonly ((digits: string) => string)[] = [
  (d) => `+47${d}`,
  (d) => `+47 ${d.slice(0, 3)} ${d.slice(3, 5)} ${d.slice(5)}`,
  (d) => d,
  (d) => `${d.slice(0, 3)} ${d.slice(3, 5)} ${d.slice(5)}`,
  (d) => `0047${d}`,
  (d) => `${d.slice(0, 2)} ${d.slice(2, 4)} ${d.slice(4, 6)} ${d.slice(6)}`,
];

/** Ascii local part of an e-mail address from a Norwegian name. */
export const asciiFold = (name: string): string =>
  name
    .toLowerCase()
    .replaceAll("æ", "ae")
    .replaceAll("ø", "o")
    .replaceAll("å", "a")
    .normalize("NFD")
    .replace(/[^a-z0-9]/g, "");

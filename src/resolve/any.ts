// QTYPE ANY, answered as RFC 8482 asks: one small RRset, never everything the name has. The name is
// resolved as for A through the whole chain (cluster zone, hosts, upstreams alike), so an ANY query
// gets that lookup's rcode (NXDOMAIN stays NXDOMAIN, REFUSED stays REFUSED); a name that exists
// gets its CNAME when it is an alias, else one synthesized HINFO "RFC8482" "" (§4.2). Nothing an
// ANY query brings back is bigger than the question and a record of about twenty bytes, so the
// server is no amplifier, and ANY is never forwarded as ANY.
import { namesEqual } from '../dns/name.js';
import { RRType, Rcode, type Answer, type Question, type ResourceRecord } from '../dns/types.js';

const HINFO = 13;
// CPU "RFC8482", OS "" (RFC 8482 §4.2: the null string keeps the answer small).
const HINFO_RDATA = Buffer.from([7, ...Buffer.from('RFC8482'), 0]);

/** The question a chain resolves for an ANY query. */
export function anyAsAddress(question: Question): Question {
  return { ...question, type: RRType.A };
}

/** The RFC 8482 answer to ANY `question`, from the answer to `anyAsAddress(question)`. */
export function minimalAny(question: Question, answer: Answer): Answer {
  const minimal = { ...answer, truncated: false, additional: [] };
  if (answer.rcode !== Rcode.NOERROR) return { ...minimal, answers: [] };
  const first = answer.answers[0];
  if (first?.data.type === 'CNAME' && namesEqual(first.name, question.name)) {
    return { ...minimal, answers: [first], authority: [] };
  }
  // No longer-lived than the records the name has (its SOA's TTL when it has no address).
  const ttls = [...answer.answers, ...answer.authority].map((record) => record.ttl);
  const hinfo: ResourceRecord = {
    name: question.name,
    ttl: ttls.length ? Math.min(...ttls) : 0,
    data: { type: 'RAW', typeCode: HINFO, rdata: HINFO_RDATA },
  };
  return { ...minimal, answers: [hinfo], authority: [] };
}

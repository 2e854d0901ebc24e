// Entry of results.html: the results page reads its own URL parameters (?a=, ?b=, ?threshold=).
import './bench-results';

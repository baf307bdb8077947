// Small pieces every page uses: a refusal, a time, a badge.

export function Problem({ error, id }) {
	if (!error)
		return null;
	return (
		<p class="problem" role="alert" id={id}>
			<strong>Refused{error.status ? ` (${error.status})` : ''}: </strong>
			<span class="detail">{error.message}</span>
		</p>
	);
}

export function When({ at }) {
	if (!at)
		return <span class="muted">unknown</span>;
	return <time dateTime={at} title={at}>{at.replace('T', ' ').replace('Z', ' UTC')}</time>;
}

export function Badge({ kind, value }) {
	return <span class={`badge ${kind}-${String(value).replace(/[^a-z-]/g, '')}`}>{String(value)}</span>;
}

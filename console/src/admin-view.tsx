/** The admin tab (consumers and /status, with the admin token). */
export function AdminView() {
  return <p>Admin views: not built yet.</p>;
}
